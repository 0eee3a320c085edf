// `bbr-ts deployment ... backup`
import { REMOTE_COMPRESSIONS } from '../../artifact/remote-compression.js';
import { encryptionOptions, ENCRYPTION_OPTIONS } from '../encryption-options.js';
import { combineOptions, declareOptions, defineOptions, pickOptions, readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { reportOption } from '../output-options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { STORAGE_OPTIONS, storageOptions } from '../storage-options.js';
import { backupDryRunWorkflow, backupWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

// Figures from the bench's figure 8 (README.md "Performance"; refresh them from bench/results/latest.json).
const REMOTE_COMPRESS_DESCRIPTION =
  'compress each artifact on the instance while draining (`gzip -1` or `zstd -1`; an instance without the tool sends it ' +
  'uncompressed); the stored artifact stays a plain .tar. Pays off on a slow link with compressible data: a 1 GiB SQL ' +
  'dump over 1 Gbit drained in 0.44x the time with zstd (185 MB on the wire instead of 1124 MB) and 1.09x with gzip, ' +
  'whose CPU cost outweighs the link on 2 shared cores (bench figure 8). Needs `zstd` on this machine for zstd';

/** backup's own flags; `director backup` takes the rows that apply to one VM. */
export const BACKUP_OPTIONS = defineOptions({
  artifactPath: {
    flag: 'artifact-path',
    alias: 'a',
    type: 'string',
    default: '.',
    describe: 'folder in which <deployment>_<timestamp>/ is created, or s3://BUCKET/PREFIX (nothing touches this machine\'s disk)',
  },
  withManifest: { flag: 'with-manifest', type: 'boolean', default: false, describe: 'also save the manifest as manifest.yml in the artifact' },
  unsafeLockFree: { flag: 'unsafe-lock-free', type: 'boolean', default: false, describe: 'skip pre-backup-lock and post-backup-unlock scripts (the backup may be inconsistent)' },
  remoteCompress: { flag: 'remote-compress', type: 'string', choices: REMOTE_COMPRESSIONS, describe: REMOTE_COMPRESS_DESCRIPTION },
  dryRun: {
    flag: 'dry-run',
    type: 'boolean',
    default: false,
    describe: 'connect, discover and check, then print the plan (lock waves, backup scripts, unlock waves, artifact path) without running any lock, backup or unlock script',
  },
});

const OPTIONS = combineOptions(DEPLOYMENT_MODE_OPTIONS, STORAGE_OPTIONS, ENCRYPTION_OPTIONS, BACKUP_OPTIONS);

export const deploymentBackup: Subcommand = (y, choose) =>
  y.command(
    ['backup', 'b'],
    'Lock, back up, unlock and drain every job into a new local artifact directory',
    (sub) =>
      declareOptions(encryptionOptions(storageOptions(reportOption(sub))), BACKUP_OPTIONS)
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup --dry-run`, 'show what a backup would do, changing nothing')
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a /var/backups`, 'back up into /var/backups/<deployment>_<timestamp>/')
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a s3://backups/cf`, 'stream every artifact into the bucket (AWS credentials from the environment or AWS_PROFILE)')
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a /var/backups --report run.html`, 'also draw the run: when each job was locked, lock waves, critical path'),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, OPTIONS);
        const flags = deploymentFlags(options);
        const workflow = options.dryRun
          ? backupDryRunWorkflow({ artifactPath: options.artifactPath, storage: pickOptions(options, STORAGE_OPTIONS) })
          : backupWorkflow({
              artifactPath: options.artifactPath,
              storage: pickOptions(options, STORAGE_OPTIONS),
              withManifest: options.withManifest,
              unsafeLockFree: options.unsafeLockFree,
              remoteCompression: options.remoteCompress,
              encryption: pickOptions(options, ENCRYPTION_OPTIONS),
            });
        return runDeploymentOperation(runtime, flags, 'backup', workflow);
      }),
  );

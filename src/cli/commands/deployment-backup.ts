// `bbr-ts deployment ... backup`
import { REMOTE_COMPRESSIONS } from '../../artifact/remote-compression.js';
import { deploymentFlags, EXAMPLE_FLAGS, REMOTE_COMPRESS_DESCRIPTION } from '../options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { backupDryRunWorkflow, backupWorkflow } from '../workflows.js';
import { reportOption } from '../output-options.js';
import { storageFlags, storageOptions } from '../storage-options.js';
import { encryptionFlags, encryptionOptions, identityOption } from '../encryption-options.js';
import type { Subcommand } from './types.js';

export const deploymentBackup: Subcommand = (y, runtime, setExit) =>
  y.command(
    ['backup', 'b'],
    'Lock, back up, unlock and drain every job into a new local artifact directory',
    (sub) =>
      encryptionOptions(storageOptions(reportOption(sub)))
        .option('artifact-path', { alias: 'a', type: 'string', default: '.', describe: 'folder in which <deployment>_<timestamp>/ is created, or s3://BUCKET/PREFIX (nothing touches this machine\'s disk)' })
        .option('with-manifest', { type: 'boolean', default: false, describe: 'also save the manifest as manifest.yml in the artifact' })
        .option('unsafe-lock-free', { type: 'boolean', default: false, describe: 'skip pre-backup-lock and post-backup-unlock scripts (the backup may be inconsistent)' })
        .option('remote-compress', { choices: REMOTE_COMPRESSIONS, describe: REMOTE_COMPRESS_DESCRIPTION })
        .option('dry-run', { type: 'boolean', default: false, describe: 'connect, discover and check, then print the plan (lock waves, backup scripts, unlock waves, artifact path) without running any lock, backup or unlock script' })
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup --dry-run`, 'show what a backup would do, changing nothing')
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a /var/backups`, 'back up into /var/backups/<deployment>_<timestamp>/')
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a s3://backups/cf`, 'stream every artifact into the bucket (AWS credentials from the environment or AWS_PROFILE)')
        .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a /var/backups --report run.html`, 'also draw the run: when each job was locked, lock waves, critical path'),
    async (argv) => {
      const flags = deploymentFlags(argv);
      if (argv['dry-run']) {
        setExit(await runDeploymentOperation(runtime, flags, 'backup', backupDryRunWorkflow({ artifactPath: argv['artifact-path'], storage: storageFlags(argv) })));
        return;
      }
      const workflow = backupWorkflow({
        artifactPath: argv['artifact-path'],
        storage: storageFlags(argv),
        withManifest: argv['with-manifest'],
        unsafeLockFree: argv['unsafe-lock-free'],
        remoteCompression: argv['remote-compress'],
        encryption: encryptionFlags(argv),
      });
      setExit(await runDeploymentOperation(runtime, flags, 'backup', workflow));
    },
  );

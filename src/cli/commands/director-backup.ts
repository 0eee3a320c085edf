// `bbr-ts director ... backup`: as `deployment ... backup`, into <host>_<timestamp>/.
import { encryptionOptions, ENCRYPTION_OPTIONS } from '../encryption-options.js';
import { combineOptions, declareOptions, defineOptions, pickOptions, readOptions } from '../option-table.js';
import { DIRECTOR_EXAMPLE_FLAGS, DIRECTOR_MODE_OPTIONS, directorFlags } from '../options.js';
import { reportOption } from '../output-options.js';
import { runDirectorOperation } from '../run-director.js';
import { STORAGE_OPTIONS, storageOptions } from '../storage-options.js';
import { backupWorkflow } from '../workflows.js';
import { BACKUP_OPTIONS } from './deployment-backup.js';
import type { Subcommand } from './types.js';

/** The backup rows that apply to one VM without a manifest (no --with-manifest, --unsafe-lock-free, --dry-run). */
const DIRECTOR_BACKUP_OPTIONS = defineOptions({
  artifactPath: { ...BACKUP_OPTIONS.artifactPath, describe: 'folder in which <host>_<timestamp>/ is created, or s3://BUCKET/PREFIX' },
  remoteCompress: BACKUP_OPTIONS.remoteCompress,
});

const OPTIONS = combineOptions(DIRECTOR_MODE_OPTIONS, STORAGE_OPTIONS, ENCRYPTION_OPTIONS, DIRECTOR_BACKUP_OPTIONS);

export const directorBackup: Subcommand = (y, choose) =>
  y.command(
    ['backup', 'b'],
    'Lock, back up, unlock and drain every job into <host>_<timestamp>/',
    (sub) =>
      declareOptions(encryptionOptions(storageOptions(reportOption(sub))), DIRECTOR_BACKUP_OPTIONS)
        .example(`$0 director ${DIRECTOR_EXAMPLE_FLAGS} backup -a s3://backups/director`, 'stream every artifact into the bucket (AWS credentials from the environment or AWS_PROFILE)'),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, OPTIONS);
        const workflow = backupWorkflow({
          artifactPath: options.artifactPath,
          storage: pickOptions(options, STORAGE_OPTIONS),
          withManifest: false,
          unsafeLockFree: false,
          remoteCompression: options.remoteCompress,
          encryption: pickOptions(options, ENCRYPTION_OPTIONS),
        });
        return runDirectorOperation(runtime, directorFlags(options), 'backup', workflow);
      }),
  );

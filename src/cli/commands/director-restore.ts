// `bbr-ts director ... restore -a DIR`: as `deployment ... restore`.
import { IDENTITY_OPTIONS, identityOption } from '../encryption-options.js';
import { combineOptions, declareOptions, defineOptions, pickOptions, readOptions } from '../option-table.js';
import { DIRECTOR_EXAMPLE_FLAGS, DIRECTOR_MODE_OPTIONS, directorFlags } from '../options.js';
import { reportOption } from '../output-options.js';
import { runDirectorOperation } from '../run-director.js';
import { STORAGE_OPTIONS, storageOptions } from '../storage-options.js';
import { restoreWorkflow } from '../workflows.js';
import { RESTORE_DESCRIPTION, RESTORE_OPTIONS } from './deployment-restore.js';
import type { Subcommand } from './types.js';

const DIRECTOR_RESTORE_OPTIONS = defineOptions({
  artifactPath: { ...RESTORE_OPTIONS.artifactPath, describe: 'the <host>_<timestamp> backup directory to restore, or its s3://BUCKET/PREFIX/<host>_<timestamp>' },
});

const OPTIONS = combineOptions(DIRECTOR_MODE_OPTIONS, STORAGE_OPTIONS, IDENTITY_OPTIONS, DIRECTOR_RESTORE_OPTIONS);

export const directorRestore: Subcommand = (y, choose) =>
  y.command(
    ['restore', 'r'],
    RESTORE_DESCRIPTION,
    (sub) =>
      declareOptions(identityOption(storageOptions(reportOption(sub))), DIRECTOR_RESTORE_OPTIONS)
        .example(`$0 director ${DIRECTOR_EXAMPLE_FLAGS} restore -a /var/backups/10.0.0.6_20240501T100001Z`, 'restore that backup onto the director'),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, OPTIONS);
        const workflow = restoreWorkflow({ artifactPath: options.artifactPath, storage: pickOptions(options, STORAGE_OPTIONS), identity: options.identity });
        return runDirectorOperation(runtime, directorFlags(options), 'restore', workflow);
      }),
  );

// `bbr-ts deployment ... restore -a DIR`
import { IDENTITY_OPTIONS, identityOption } from '../encryption-options.js';
import { combineOptions, declareOptions, defineOptions, pickOptions, readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { reportOption } from '../output-options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { STORAGE_OPTIONS, storageOptions } from '../storage-options.js';
import { restoreWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const RESTORE_DESCRIPTION =
  'Verify a backup directory offline, then upload it, lock, run restore scripts, unlock and clean up';

/** restore's own flag; drill and `director restore` take the same row. */
export const RESTORE_OPTIONS = defineOptions({
  artifactPath: {
    flag: 'artifact-path',
    alias: 'a',
    type: 'string',
    required: true,
    describe: 'the <deployment>_<timestamp> backup directory to restore, or its s3://BUCKET/PREFIX/<deployment>_<timestamp>',
  },
});

const OPTIONS = combineOptions(DEPLOYMENT_MODE_OPTIONS, STORAGE_OPTIONS, IDENTITY_OPTIONS, RESTORE_OPTIONS);

export const deploymentRestore: Subcommand = (y, choose) =>
  y.command(
    ['restore', 'r'],
    RESTORE_DESCRIPTION,
    (sub) =>
      declareOptions(identityOption(storageOptions(reportOption(sub))), RESTORE_OPTIONS)
        .example(`$0 deployment ${EXAMPLE_FLAGS} restore -a /var/backups/example_20240501T100001Z`, 'restore that backup into the deployment'),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, OPTIONS);
        const workflow = restoreWorkflow({ artifactPath: options.artifactPath, storage: pickOptions(options, STORAGE_OPTIONS), identity: options.identity });
        return runDeploymentOperation(runtime, deploymentFlags(options), 'restore', workflow);
      }),
  );

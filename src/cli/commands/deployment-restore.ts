// `bbr-ts deployment ... restore -a DIR`
import { deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { restoreWorkflow } from '../workflows.js';
import { reportOption } from '../output-options.js';
import { storageFlags, storageOptions } from '../storage-options.js';
import { encryptionFlags, encryptionOptions, identityOption } from '../encryption-options.js';
import type { Subcommand } from './types.js';

export const RESTORE_DESCRIPTION =
  'Verify a backup directory offline, then upload it, lock, run restore scripts, unlock and clean up';

export const deploymentRestore: Subcommand = (y, runtime, setExit) =>
  y.command(
    ['restore', 'r'],
    RESTORE_DESCRIPTION,
    (sub) =>
      identityOption(storageOptions(reportOption(sub)))
        .option('artifact-path', { alias: 'a', type: 'string', demandOption: true, describe: 'the <deployment>_<timestamp> backup directory to restore, or its s3://BUCKET/PREFIX/<deployment>_<timestamp>' })
        .example(`$0 deployment ${EXAMPLE_FLAGS} restore -a /var/backups/example_20240501T100001Z`, 'restore that backup into the deployment'),
    async (argv) => {
      const flags = deploymentFlags(argv);
      setExit(await runDeploymentOperation(runtime, flags, 'restore', restoreWorkflow({ artifactPath: argv['artifact-path'], storage: storageFlags(argv), identity: argv.identity })));
    },
  );

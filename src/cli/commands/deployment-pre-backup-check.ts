// `bbr-ts deployment ... pre-backup-check`
import { readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { preBackupCheckWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const deploymentPreBackupCheck: Subcommand = (y, choose) =>
  y.command(
    ['pre-backup-check', 'c'],
    'Check that the deployment can be backed up (scripts present, no leftovers, lock order sound); changes nothing',
    (sub) => sub.example(`$0 deployment ${EXAMPLE_FLAGS} pre-backup-check`, 'exit 0 when a backup could start now'),
    (argv) =>
      choose((runtime) => {
        const flags = deploymentFlags(readOptions(argv, DEPLOYMENT_MODE_OPTIONS));
        return runDeploymentOperation(runtime, flags, 'pre-backup-check', preBackupCheckWorkflow());
      }),
  );

// `bbr-ts deployment ... restore-cleanup`: unlock every job and remove leftover remote artifact directories
// after a restore that did not finish. Idempotent.
import { readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { cleanupWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const deploymentRestoreCleanup: Subcommand = (y, choose) =>
  y.command(
    'restore-cleanup',
    'After a failed or interrupted restore: run post-restore-unlock on every job (reverse lock order, one at a time) and remove /var/vcap/store/bbr-backup everywhere; safe to repeat',
    (sub) => sub.example(`$0 deployment ${EXAMPLE_FLAGS} restore-cleanup`, 'unlock every job and remove leftover remote artifacts'),
    (argv) =>
      choose((runtime) => {
        const flags = deploymentFlags(readOptions(argv, DEPLOYMENT_MODE_OPTIONS));
        return runDeploymentOperation(runtime, flags, 'restore-cleanup', cleanupWorkflow('restore-cleanup'));
      }),
  );

// `bbr-ts deployment ... backup-cleanup`: unlock every job and remove leftover remote artifact directories
// after a backup that did not finish. Idempotent.
import { readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { cleanupWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const deploymentBackupCleanup: Subcommand = (y, choose) =>
  y.command(
    'backup-cleanup',
    'After a failed or interrupted backup: run post-backup-unlock on every job (reverse lock order) and remove /var/vcap/store/bbr-backup everywhere; safe to repeat',
    (sub) => sub.example(`$0 deployment ${EXAMPLE_FLAGS} backup-cleanup`, 'unlock every job and remove leftover remote artifacts'),
    (argv) =>
      choose((runtime) => {
        const flags = deploymentFlags(readOptions(argv, DEPLOYMENT_MODE_OPTIONS));
        return runDeploymentOperation(runtime, flags, 'backup-cleanup', cleanupWorkflow('backup-cleanup'));
      }),
  );

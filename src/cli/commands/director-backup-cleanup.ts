// `bbr-ts director ... backup-cleanup`: unlock every job and remove leftover remote artifact directories
// after a backup that did not finish. Idempotent.
import { readOptions } from '../option-table.js';
import { DIRECTOR_EXAMPLE_FLAGS, DIRECTOR_MODE_OPTIONS, directorFlags } from '../options.js';
import { runDirectorOperation } from '../run-director.js';
import { cleanupWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const directorBackupCleanup: Subcommand = (y, choose) =>
  y.command(
    'backup-cleanup',
    'After a failed backup: run post-backup-unlock everywhere and remove leftover remote artifacts; safe to repeat',
    (sub) => sub.example(`$0 director ${DIRECTOR_EXAMPLE_FLAGS} backup-cleanup`, 'unlock every job and remove leftover remote artifacts'),
    (argv) =>
      choose((runtime) => {
        const flags = directorFlags(readOptions(argv, DIRECTOR_MODE_OPTIONS));
        return runDirectorOperation(runtime, flags, 'backup-cleanup', cleanupWorkflow('backup-cleanup'));
      }),
  );

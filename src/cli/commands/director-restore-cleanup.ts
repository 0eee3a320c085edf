// `bbr-ts director ... restore-cleanup`: unlock every job and remove leftover remote artifact directories
// after a restore that did not finish. Idempotent.
import { readOptions } from '../option-table.js';
import { DIRECTOR_EXAMPLE_FLAGS, DIRECTOR_MODE_OPTIONS, directorFlags } from '../options.js';
import { runDirectorOperation } from '../run-director.js';
import { cleanupWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const directorRestoreCleanup: Subcommand = (y, choose) =>
  y.command(
    'restore-cleanup',
    'After a failed restore: run post-restore-unlock everywhere and remove leftover remote artifacts; safe to repeat',
    (sub) => sub.example(`$0 director ${DIRECTOR_EXAMPLE_FLAGS} restore-cleanup`, 'unlock every job and remove leftover remote artifacts'),
    (argv) =>
      choose((runtime) => {
        const flags = directorFlags(readOptions(argv, DIRECTOR_MODE_OPTIONS));
        return runDirectorOperation(runtime, flags, 'restore-cleanup', cleanupWorkflow('restore-cleanup'));
      }),
  );

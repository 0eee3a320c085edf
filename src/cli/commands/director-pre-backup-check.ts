// `bbr-ts director ... pre-backup-check`
import { readOptions } from '../option-table.js';
import { DIRECTOR_EXAMPLE_FLAGS, DIRECTOR_MODE_OPTIONS, directorFlags } from '../options.js';
import { runDirectorOperation } from '../run-director.js';
import { preBackupCheckWorkflow } from '../workflows.js';
import type { Subcommand } from './types.js';

export const directorPreBackupCheck: Subcommand = (y, choose) =>
  y.command(
    ['pre-backup-check', 'c'],
    'Check that the director can be backed up; changes nothing',
    (sub) => sub.example(`$0 director ${DIRECTOR_EXAMPLE_FLAGS} pre-backup-check`, 'exit 0 when a backup could start now'),
    (argv) =>
      choose((runtime) => {
        const flags = directorFlags(readOptions(argv, DIRECTOR_MODE_OPTIONS));
        return runDirectorOperation(runtime, flags, 'pre-backup-check', preBackupCheckWorkflow());
      }),
  );

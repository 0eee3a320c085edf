// `bbr-ts director --host HOST[:PORT] [flags] <subcommand>`: one BOSH director VM reached directly over SSH.
// Its flags come before the subcommand, as in BBR and as in `deployment`.
import type { Argv } from 'yargs';
import { declareModeOptions, DIRECTOR_EXAMPLE_FLAGS, DIRECTOR_MODE_OPTIONS } from '../options.js';
import { directorBackup } from './director-backup.js';
import { directorBackupCleanup } from './director-backup-cleanup.js';
import { directorPreBackupCheck } from './director-pre-backup-check.js';
import { directorRestore } from './director-restore.js';
import { directorRestoreCleanup } from './director-restore-cleanup.js';
import type { Choose, Subcommand } from './types.js';

const SUBCOMMANDS: Subcommand[] = [
  directorBackup,
  directorRestore,
  directorPreBackupCheck,
  directorBackupCleanup,
  directorRestoreCleanup,
];

export function directorMode(y: Argv, choose: Choose): Argv {
  return y.command('director', 'Work on a BOSH director VM reached directly over SSH (BBR\'s director mode)', (mode) => {
    let withSubcommands = declareModeOptions(mode, DIRECTOR_MODE_OPTIONS);
    for (const sub of SUBCOMMANDS) withSubcommands = sub(withSubcommands, choose);
    return withSubcommands
      .demandCommand(1, 'name a subcommand (see the list above)')
      .example(`$0 director ${DIRECTOR_EXAMPLE_FLAGS} backup -a /var/backups`, 'back up the director into /var/backups/10.0.0.6_<timestamp>/')
      .example('BBR_TS_USERNAME=vcap $0 director --host 10.0.0.6 --key ~/.ssh/director pre-backup-check', 'flags can also come from BBR_TS_<FLAG> environment variables');
  });
}

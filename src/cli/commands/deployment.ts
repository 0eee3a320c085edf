// `bbr-ts deployment [flags] <subcommand>`: its flags come before the subcommand, as in BBR.
import type { Argv } from 'yargs';
import { DEPLOYMENT_MODE_OPTIONS, declareModeOptions, EXAMPLE_FLAGS } from '../options.js';
import { deploymentBackup } from './deployment-backup.js';
import { deploymentBackupCleanup } from './deployment-backup-cleanup.js';
import { deploymentDrill } from './deployment-drill.js';
import { deploymentPreBackupCheck } from './deployment-pre-backup-check.js';
import { deploymentRestore } from './deployment-restore.js';
import { deploymentRemoveSshUser } from './deployment-remove-ssh-user.js';
import { deploymentRestoreCleanup } from './deployment-restore-cleanup.js';
import type { Choose, Subcommand } from './types.js';

const SUBCOMMANDS: Subcommand[] = [
  deploymentBackup,
  deploymentPreBackupCheck,
  deploymentBackupCleanup,
  deploymentRestore,
  deploymentRestoreCleanup,
  deploymentDrill,
  deploymentRemoveSshUser,
];

export function deploymentMode(y: Argv, choose: Choose): Argv {
  return y.command('deployment', 'Work on a deployment: instances from a BOSH director (--target, as BBR) or a manifest (--manifest)', (mode) => {
    let withSubcommands = declareModeOptions(mode, DEPLOYMENT_MODE_OPTIONS);
    for (const sub of SUBCOMMANDS) withSubcommands = sub(withSubcommands, choose);
    return withSubcommands
      .demandCommand(1, 'name a subcommand (see the list above)')
      .example(`$0 deployment ${EXAMPLE_FLAGS} backup`, 'back up the deployment described by deploy.yml into the current folder')
      .example('$0 deployment --target 10.0.0.6 --username admin --deployment redis --ca-cert ca.pem backup', 'BBR\'s own command line: instances and a temporary SSH user from the director (password in BOSH_CLIENT_SECRET)')
      .example('BBR_TS_USERNAME=vcap $0 deployment --manifest deploy.yml --key ~/.ssh/bbr pre-backup-check', 'flags can also come from BBR_TS_<FLAG> environment variables');
  });
}

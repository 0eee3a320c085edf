// `bbr-ts director --host HOST[:PORT] [flags] <subcommand>`: one BOSH director VM reached directly over SSH.
import type { Argv } from 'yargs';
import { REMOTE_COMPRESSIONS } from '../../artifact/remote-compression.js';
import { connectionFlags, connectionOptions, REMOTE_COMPRESS_DESCRIPTION } from '../options.js';
import { runDirectorOperation, type DirectorFlags } from '../run-director.js';
import type { Runtime } from '../runtime.js';
import { backupWorkflow, cleanupWorkflow, preBackupCheckWorkflow, restoreWorkflow } from '../workflows.js';
import { reportOption } from '../output-options.js';
import { storageFlags, storageOptions } from '../storage-options.js';
import { encryptionFlags, encryptionOptions, identityOption } from '../encryption-options.js';
import { RESTORE_DESCRIPTION } from './deployment-restore.js';
import type { SetExitCode } from './types.js';

const EXAMPLE = '--host 10.0.0.6 --username vcap --private-key-path ~/.ssh/director';

function directorFlags(argv: Record<string, unknown>): DirectorFlags {
  return { ...connectionFlags(argv), host: argv.host as string };
}

export function directorMode(y: Argv, runtime: Runtime, setExit: SetExitCode): Argv {
  return y.command('director', 'Work on a BOSH director VM reached directly over SSH (BBR\'s director mode)', (mode) =>
    (connectionOptions(
      mode.option('host', { type: 'string', demandOption: true, describe: 'the director VM as HOST or HOST:PORT (port 22 by default)', group: 'Director:' }),
    ) as unknown as Argv)
      .command(
        ['backup', 'b'],
        'Lock, back up, unlock and drain every job into <host>_<timestamp>/',
        (sub) =>
          encryptionOptions(storageOptions(reportOption(sub)))
            .option('artifact-path', { alias: 'a', type: 'string', default: '.', describe: 'folder in which <host>_<timestamp>/ is created, or s3://BUCKET/PREFIX' })
            .option('remote-compress', { choices: REMOTE_COMPRESSIONS, describe: REMOTE_COMPRESS_DESCRIPTION }),
        async (argv) => {
          const workflow = backupWorkflow({
            artifactPath: argv['artifact-path'],
            storage: storageFlags(argv),
            withManifest: false,
            unsafeLockFree: false,
            remoteCompression: argv['remote-compress'],
            encryption: encryptionFlags(argv),
          });
          setExit(await runDirectorOperation(runtime, directorFlags(argv), 'backup', workflow));
        },
      )
      .command(
        ['restore', 'r'],
        RESTORE_DESCRIPTION,
        (sub) => identityOption(storageOptions(reportOption(sub))).option('artifact-path', { alias: 'a', type: 'string', demandOption: true, describe: 'the <host>_<timestamp> backup directory to restore, or its s3://BUCKET/PREFIX/<host>_<timestamp>' }),
        async (argv) => {
          setExit(await runDirectorOperation(runtime, directorFlags(argv), 'restore', restoreWorkflow({ artifactPath: argv['artifact-path'], storage: storageFlags(argv), identity: argv.identity })));
        },
      )
      .command(
        ['pre-backup-check', 'c'],
        'Check that the director can be backed up; changes nothing',
        (sub) => sub,
        async (argv) => {
          setExit(await runDirectorOperation(runtime, directorFlags(argv), 'pre-backup-check', preBackupCheckWorkflow()));
        },
      )
      .command('backup-cleanup', 'After a failed backup: run post-backup-unlock everywhere and remove leftover remote artifacts; safe to repeat', (sub) => sub, async (argv) => {
        setExit(await runDirectorOperation(runtime, directorFlags(argv), 'backup-cleanup', cleanupWorkflow('backup-cleanup')));
      })
      .command('restore-cleanup', 'After a failed restore: run post-restore-unlock everywhere and remove leftover remote artifacts; safe to repeat', (sub) => sub, async (argv) => {
        setExit(await runDirectorOperation(runtime, directorFlags(argv), 'restore-cleanup', cleanupWorkflow('restore-cleanup')));
      })
      .demandCommand(1, 'name a subcommand (see the list above)')
      .example(`$0 director ${EXAMPLE} backup -a /var/backups`, 'back up the director into /var/backups/10.0.0.6_<timestamp>/'),
  );
}

// Argument parsing only: yargs turns argv into typed flags and calls the matching command. Flags of
// `deployment` come before its subcommand, as in BBR. Every flag can also come from BBR_TS_<FLAG>.
import os from 'node:os';
import path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { backupWorkflow, preBackupCheckWorkflow, runDeploymentOperation, type DeploymentFlags } from './run-deployment.js';
import type { Runtime } from './runtime.js';

const EXAMPLE_FLAGS = '--manifest deploy.yml --username vcap --private-key-path ~/.ssh/bbr';

function connectionOptions<T>(y: Argv<T>) {
  return y
    .option('username', { alias: 'u', type: 'string', demandOption: true, describe: 'SSH user on the instances; scripts run through `sudo -n` unless it is root', group: 'Connection:' })
    .option('private-key-path', { alias: 'key', type: 'string', demandOption: true, normalize: true, describe: 'SSH private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519)', group: 'Connection:' })
    .option('known-hosts', { type: 'string', default: path.join(os.homedir(), '.ssh', 'known_hosts'), normalize: true, describe: 'known_hosts file the instances\' host keys are checked against; unknown or changed keys are refused', group: 'Connection:' })
    .option('dangerously-skip-host-key-check', { type: 'boolean', default: false, describe: 'DANGEROUS: accept any host key (anyone on the network path can impersonate instances)', group: 'Connection:' })
    .option('parallelism', { type: 'number', default: 10, describe: 'how many instances or jobs are worked on at once within a step (BBR: always 10)', group: 'Connection:' })
    .option('connect-timeout', { type: 'number', default: 30, describe: 'seconds to wait for an SSH connection (retried twice with backoff)', group: 'Connection:' })
    .option('script-timeout', { type: 'number', describe: 'seconds a single job script may run before it is stopped (default: no limit, as BBR); unlock still runs', group: 'Connection:' })
    .check((argv) => {
      const parallelism = argv.parallelism as number;
      if (!Number.isInteger(parallelism) || parallelism < 1) throw new UsageError('--parallelism must be a whole number of at least 1');
      if (!((argv['connect-timeout'] as number) > 0)) throw new UsageError('--connect-timeout must be a positive number of seconds');
      const scriptTimeout = argv['script-timeout'] as number | undefined;
      if (scriptTimeout !== undefined && !(scriptTimeout > 0)) throw new UsageError('--script-timeout must be a positive number of seconds');
      return true;
    });
}

function deploymentCommand(runtime: Runtime, setExit: (code: number) => void) {
  return (y: Argv) =>
    connectionOptions(
      y
        .option('manifest', { alias: 'm', type: 'string', demandOption: true, normalize: true, describe: 'BOSH deployment manifest; instance N of a group is reached at the Nth static IP of its networks', group: 'Deployment:' })
        .option('deployment', { alias: 'd', type: 'string', describe: 'deployment name used for the artifact directory (default: the manifest\'s `name`)', group: 'Deployment:' })
        .option('ssh-port', { type: 'number', default: 22, describe: 'SSH port of every instance', group: 'Deployment:' }),
    )
      .command(
        ['backup', 'b'],
        'Lock, back up, unlock and drain every job into a new local artifact directory',
        (sub) =>
          sub
            .option('artifact-path', { alias: 'a', type: 'string', default: '.', normalize: true, describe: 'folder in which <deployment>_<timestamp>/ is created' })
            .option('with-manifest', { type: 'boolean', default: false, describe: 'also save the manifest as manifest.yml in the artifact' })
            .option('unsafe-lock-free', { type: 'boolean', default: false, describe: 'skip pre-backup-lock and post-backup-unlock scripts (the backup may be inconsistent)' })
            .example(`$0 deployment ${EXAMPLE_FLAGS} backup -a /var/backups`, 'back up into /var/backups/<deployment>_<timestamp>/'),
        async (argv) => setExit(await runDeploymentOperation(runtime, deploymentFlags(argv), 'backup', backupWorkflow({ ...deploymentFlags(argv), artifactPath: argv['artifact-path'], withManifest: argv['with-manifest'], unsafeLockFree: argv['unsafe-lock-free'] }))),
      )
      .command(
        ['pre-backup-check', 'c'],
        'Check that the deployment can be backed up (scripts present, no leftovers, lock order sound); changes nothing',
        (sub) => sub.example(`$0 deployment ${EXAMPLE_FLAGS} pre-backup-check`, 'exit 0 when a backup could start now'),
        async (argv) => setExit(await runDeploymentOperation(runtime, deploymentFlags(argv), 'pre-backup-check', preBackupCheckWorkflow(deploymentFlags(argv)))),
      )
      .demandCommand(1, 'name a subcommand: backup or pre-backup-check')
      .example(`$0 deployment ${EXAMPLE_FLAGS} backup`, 'back up the deployment described by deploy.yml into the current folder')
      .example(`BBR_TS_USERNAME=vcap $0 deployment --manifest deploy.yml --key ~/.ssh/bbr pre-backup-check`, 'flags can come from BBR_TS_<FLAG> environment variables');
}

function deploymentFlags(argv: Record<string, unknown>): DeploymentFlags {
  return {
    manifest: argv.manifest as string,
    deployment: argv.deployment as string | undefined,
    sshPort: argv['ssh-port'] as number,
    username: argv.username as string,
    privateKeyPath: argv['private-key-path'] as string,
    knownHosts: argv['known-hosts'] as string,
    dangerouslySkipHostKeyCheck: argv['dangerously-skip-host-key-check'] as boolean,
    parallelism: argv.parallelism as number,
    connectTimeout: argv['connect-timeout'] as number,
    scriptTimeout: argv['script-timeout'] as number | undefined,
  };
}

/** Parses argv and runs the command; resolves with the exit code. */
export async function runCli(argv: string[], runtime: Runtime): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const parser = yargs(argv)
    .scriptName('bbr-ts')
    .usage('$0 <mode> [mode flags] <subcommand> [subcommand flags]\n\nBack up and restore BOSH-style deployments over SSH, running the BBR job script contract.')
    .env('BBR_TS')
    .command('deployment', 'Work on a deployment described by a BOSH manifest (one SSH connection per instance)', deploymentCommand(runtime, setExit))
    .demandCommand(1, 'name a mode: deployment')
    .strict()
    .recommendCommands()
    .version(runtime.version)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue('Exit codes are BBR\'s bitmask: 1 general failure, 4 lock failure, 8 unlock failure, 16 cleanup failure (ORed together).')
    .fail((message, error) => {
      if (error && !(error instanceof UsageError)) throw error;
      runtime.stderr.write(`Error: ${error?.message ?? message}\nRun with --help to see the flags and examples.\n`);
      exitCode = 1;
    })
    .exitProcess(false);
  await parser.parseAsync();
  return exitCode;
}

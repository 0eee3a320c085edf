// Flag tables shared by commands: one description per flag, with the env var every flag also reads
// (BBR_TS_<FLAG>, e.g. BBR_TS_PRIVATE_KEY_PATH).
import os from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { DEFAULT_COMMAND_LIMITS } from '../ssh/index.js';
import { DEFAULT_INTERRUPT_TIMEOUT_MS } from './interrupt-deadline.js';
import type { DeploymentFlags } from './run-deployment.js';
import type { ConnectionFlags } from './runtime.js';

export const DEFAULT_KNOWN_HOSTS = path.join(os.homedir(), '.ssh', 'known_hosts');

export const EXAMPLE_FLAGS = '--manifest deploy.yml --username vcap --private-key-path ~/.ssh/bbr';

// Figures from the bench's figure 8 (README.md "Performance"; refresh them from bench/results/latest.json).
export const REMOTE_COMPRESS_DESCRIPTION =
  'compress each artifact on the instance while draining (`gzip -1` or `zstd -1`; an instance without the tool sends it ' +
  'uncompressed); the stored artifact stays a plain .tar. Pays off on a slow link with compressible data: a 1 GiB SQL ' +
  'dump over 1 Gbit drained in 0.6x the time with zstd (185 MB on the wire instead of 1124 MB) but 2x with gzip, whose ' +
  'CPU cost outweighed the link on 2 shared cores (bench figure 8). Needs `zstd` on this machine for zstd';

export function connectionOptions<T>(y: Argv<T>) {
  return y
    // BBR_TS_<FLAG> environment variables, scoped to the modes that connect: set globally, a BBR_TS_MANIFEST
    // exported for `deployment` would be an unknown argument to `artifact verify` or `job test`.
    .env('BBR_TS')
    .option('username', { alias: 'u', type: 'string', demandOption: true, describe: 'SSH user on the instances; scripts run through `sudo -n` unless it is root', group: 'Connection:' })
    .option('private-key-path', { alias: 'key', type: 'string', demandOption: true, describe: 'SSH private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519)', group: 'Connection:' })
    .option('known-hosts', { type: 'string', default: DEFAULT_KNOWN_HOSTS, describe: 'known_hosts file the instances\' host keys are checked against; unknown or changed keys are refused', group: 'Connection:' })
    .option('dangerously-skip-host-key-check', { type: 'boolean', default: false, describe: 'DANGEROUS: accept any host key (anyone on the network path can impersonate instances)', group: 'Connection:' })
    .option('parallelism', { type: 'number', default: 10, describe: 'how many instances or jobs are worked on at once within a step (BBR: always 10)', group: 'Connection:' })
    .option('connect-timeout', { type: 'number', default: 30, describe: 'seconds to wait for an SSH connection (retried twice with backoff)', group: 'Connection:' })
    .option('script-timeout', { type: 'number', describe: 'seconds a single job script may run before it is stopped (default: no limit, as BBR); unlock still runs', group: 'Connection:' })
    .option('command-timeout', { type: 'number', default: DEFAULT_COMMAND_LIMITS.commandTimeoutMs / 1000, describe: 'seconds a housekeeping command on an instance (finding scripts, du, mkdir, rm) may run before it is stopped and reported', group: 'Connection:' })
    .option('transfer-stall-timeout', { type: 'number', default: DEFAULT_COMMAND_LIMITS.transferStallTimeoutMs / 1000, describe: 'seconds a transfer (tar of an artifact, its checksum listing) may go without moving a byte before it is stopped and reported', group: 'Connection:' })
    .option('interrupt-timeout', { type: 'number', default: DEFAULT_INTERRUPT_TIMEOUT_MS / 1000, describe: 'seconds cancelling, unlock and cleanup may take after the first Ctrl-C or SIGTERM; then bbr-ts abandons them and exits (as on a third Ctrl-C)', group: 'Connection:' })
    .check((argv) => {
      const parallelism = argv.parallelism as number;
      if (!Number.isInteger(parallelism) || parallelism < 1) throw new UsageError('--parallelism must be a whole number of at least 1');
      if (!((argv['connect-timeout'] as number) > 0)) throw new UsageError('--connect-timeout must be a positive number of seconds');
      const scriptTimeout = argv['script-timeout'] as number | undefined;
      if (scriptTimeout !== undefined && !(scriptTimeout > 0)) throw new UsageError('--script-timeout must be a positive number of seconds');
      for (const flag of ['command-timeout', 'transfer-stall-timeout', 'interrupt-timeout']) {
        if (!((argv[flag] as number) > 0)) throw new UsageError(`--${flag} must be a positive number of seconds`);
      }
      return true;
    });
}

export function deploymentOptions<T>(y: Argv<T>) {
  return connectionOptions(
    y
      .option('manifest', { alias: 'm', type: 'string', demandOption: true, describe: 'BOSH deployment manifest; instance N of a group is reached at the Nth static IP of its networks', group: 'Deployment:' })
      .option('deployment', { alias: 'd', type: 'string', describe: 'deployment name used for the artifact directory (default: the manifest\'s `name`)', group: 'Deployment:' })
      .option('ssh-port', { type: 'number', default: 22, describe: 'SSH port of every instance', group: 'Deployment:' }),
  );
}

export function connectionFlags(argv: Record<string, unknown>): ConnectionFlags {
  return {
    username: argv.username as string,
    privateKeyPath: argv['private-key-path'] as string,
    knownHosts: argv['known-hosts'] as string,
    dangerouslySkipHostKeyCheck: argv['dangerously-skip-host-key-check'] as boolean,
    parallelism: argv.parallelism as number,
    connectTimeout: argv['connect-timeout'] as number,
    scriptTimeout: argv['script-timeout'] as number | undefined,
    commandTimeout: argv['command-timeout'] as number,
    transferStallTimeout: argv['transfer-stall-timeout'] as number,
    interruptTimeout: argv['interrupt-timeout'] as number,
  };
}

export function deploymentFlags(argv: Record<string, unknown>): DeploymentFlags {
  return {
    ...connectionFlags(argv),
    manifest: argv.manifest as string,
    deployment: argv.deployment as string | undefined,
    sshPort: argv['ssh-port'] as number,
  };
}

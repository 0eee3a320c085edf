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
  'dump over 1 Gbit drained in 0.44x the time with zstd (185 MB on the wire instead of 1124 MB) and 1.09x with gzip, ' +
  'whose CPU cost outweighs the link on 2 shared cores (bench figure 8). Needs `zstd` on this machine for zstd';

export function connectionOptions<T>(y: Argv<T>, requireKey = true) {
  return y
    // BBR_TS_<FLAG> environment variables, scoped to the modes that connect: set globally, a BBR_TS_MANIFEST
    // exported for `deployment` would be an unknown argument to `artifact verify` or `job test`.
    .env('BBR_TS')
    .option('username', {
      alias: 'u',
      type: 'string',
      demandOption: requireKey,
      describe: requireKey
        ? 'SSH user on the instances; scripts run through `sudo -n` unless it is root'
        : 'with --manifest: SSH user on the instances (scripts run through `sudo -n` unless it is root); with --target: the director user or UAA client id (BOSH_CLIENT)',
      group: 'Connection:',
    })
    .option('private-key-path', { alias: 'key', type: 'string', demandOption: requireKey, describe: `SSH private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519)${requireKey ? '' : '; with --manifest only (the director hands out a temporary key)'}`, group: 'Connection:' })
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
      .option('manifest', { alias: 'm', type: 'string', describe: 'BOSH deployment manifest; instance N of a group is reached at the Nth static IP of its networks (for foundations without a director)', group: 'Deployment:' })
      .option('target', { alias: 't', type: 'string', describe: 'BOSH director URL or address (BOSH_ENVIRONMENT): the instances, their addresses and a temporary SSH user come from it, as with BBR; always HTTPS, port 25555 unless given', group: 'Director:' })
      .option('all-deployments', { type: 'boolean', describe: 'with --target: every deployment of the director that has backup scripts, 10 at a time, one artifact directory each and one summary (pre-backup-check, backup, backup-cleanup only)', group: 'Director:' })
      .option('password', { alias: 'p', type: 'string', describe: 'director password or UAA client secret (BOSH_CLIENT_SECRET; prefer the variable, a flag shows in `ps`)', group: 'Director:' })
      .option('ca-cert', { type: 'string', describe: 'CA certificate of the director and its UAA: a PEM file or the PEM text itself (CA_CERT, BOSH_CA_CERT)', group: 'Director:' })
      .option('deployment', { alias: 'd', type: 'string', describe: 'with --target: the deployment to work on (BOSH_DEPLOYMENT); with --manifest: the name used for the artifact directory (default: the manifest\'s `name`)', group: 'Deployment:' })
      .option('ssh-port', { type: 'number', default: 22, describe: 'SSH port of every instance (--manifest)', group: 'Deployment:' })
      .option('gateway', { type: 'string', describe: 'reach the instances (and the director) through a jumpbox: ssh+socks5://USER@HOST:PORT?private-key=PATH, as BOSH_ALL_PROXY; its host key is checked against --known-hosts', group: 'Connection:' }),
    false,
  ).check((argv) => {
    const director = argv.target !== undefined || (argv.manifest === undefined && Boolean(process.env.BOSH_ENVIRONMENT));
    if (argv.manifest !== undefined && argv.target !== undefined) throw new UsageError('pass either --manifest or --target, not both');
    if (argv['all-deployments'] === true && argv.deployment !== undefined) throw new UsageError('pass either --deployment or --all-deployments, not both');
    if (argv['all-deployments'] === true && !director) throw new UsageError('--all-deployments needs --target (the director lists the deployments)');
    if (!director) {
      if (argv.manifest === undefined) throw new UsageError('pass --manifest FILE (instances at static IPs) or --target DIRECTOR (BBR\'s deployment mode; or set BOSH_ENVIRONMENT)');
      const missing = ['username', 'private-key-path'].filter((flag) => argv[flag] === undefined);
      if (missing.length > 0) throw new UsageError(`Missing required argument${missing.length > 1 ? 's' : ''} with --manifest: ${missing.join(', ')}`);
    }
    return true;
  });
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
  const env = process.env;
  const manifest = argv.manifest as string | undefined;
  const target = (argv.target as string | undefined) ?? (manifest === undefined ? env.BOSH_ENVIRONMENT : undefined);
  const flags: DeploymentFlags = {
    ...connectionFlags(argv),
    manifest,
    deployment: argv.deployment as string | undefined,
    sshPort: argv['ssh-port'] as number,
    gateway: (argv.gateway as string | undefined) ?? (env.BOSH_ALL_PROXY || undefined),
    gatewayFlag: argv.gateway as string | undefined,
  };
  if (target === undefined) return flags;
  // BBR's deployment mode: the same flags and environment variables (cmd/bbr/main.go).
  const client = (argv.username as string | undefined) ?? env.BOSH_CLIENT;
  const secret = (argv.password as string | undefined) ?? env.BOSH_CLIENT_SECRET;
  const allDeployments = argv['all-deployments'] === true;
  const deployment = allDeployments ? undefined : (flags.deployment ?? env.BOSH_DEPLOYMENT);
  if (!client) throw new UsageError('with --target, pass --username (or BOSH_CLIENT): the director user or UAA client');
  if (secret === undefined) throw new UsageError('with --target, pass --password (or BOSH_CLIENT_SECRET): the director password or UAA client secret');
  if (!deployment && !allDeployments) throw new UsageError('with --target, pass --deployment NAME (or BOSH_DEPLOYMENT), or --all-deployments');
  return {
    ...flags,
    username: client,
    privateKeyPath: '',
    deployment,
    allDeployments,
    director: { target, client, secret, caCert: (argv['ca-cert'] as string | undefined) ?? env.CA_CERT ?? env.BOSH_CA_CERT, passwordFromFlag: argv.password !== undefined },
  };
}

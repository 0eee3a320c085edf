// The flags of the modes that connect (deployment, director), as tables (option-table.ts), and the flags a
// run is given once they are read: ConnectionFlags, DeploymentFlags (with BBR's director variables) and
// DirectorFlags. Every flag of these modes also reads BBR_TS_<FLAG> (e.g. BBR_TS_PRIVATE_KEY_PATH).
import os from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { DEFAULT_COMMAND_LIMITS } from '../ssh/index.js';
import { DEFAULT_INTERRUPT_TIMEOUT_MS } from './interrupt-deadline.js';
import {
  atLeastOne,
  combineOptions,
  dashed,
  declareOptions,
  defineOptions,
  ENV_PREFIX,
  fromEnvironment,
  pickOptions,
  positiveSeconds,
  type OptionsOf,
} from './option-table.js';
import type { DeploymentFlags } from './run-deployment.js';
import type { DirectorFlags } from './run-director.js';
import type { ConnectionFlags } from './runtime.js';

export const DEFAULT_KNOWN_HOSTS = path.join(os.homedir(), '.ssh', 'known_hosts');

export const EXAMPLE_FLAGS = '--manifest deploy.yml --username vcap --private-key-path ~/.ssh/bbr';
export const DIRECTOR_EXAMPLE_FLAGS = '--host 10.0.0.6 --username vcap --private-key-path ~/.ssh/director';

const CONNECTION = 'Connection:';
const DEPLOYMENT = 'Deployment:';
const DIRECTOR = 'Director:';

/** How instances are reached and how long things may take; both connecting modes. */
export const CONNECTION_OPTIONS = defineOptions({
  knownHosts: {
    flag: 'known-hosts',
    type: 'string',
    default: DEFAULT_KNOWN_HOSTS,
    describe: 'known_hosts file the instances\' host keys are checked against; unknown or changed keys are refused',
    group: CONNECTION,
  },
  dangerouslySkipHostKeyCheck: {
    flag: 'dangerously-skip-host-key-check',
    type: 'boolean',
    default: false,
    describe: 'DANGEROUS: accept any host key (anyone on the network path can impersonate instances)',
    group: CONNECTION,
  },
  parallelism: {
    flag: 'parallelism',
    type: 'number',
    default: 10,
    describe: 'how many instances or jobs are worked on at once within a step (BBR: always 10)',
    group: CONNECTION,
    validate: atLeastOne,
  },
  connectTimeoutSeconds: {
    flag: 'connect-timeout',
    type: 'number',
    default: 30,
    describe: 'seconds to wait for an SSH connection (retried twice with backoff)',
    group: CONNECTION,
    validate: positiveSeconds,
  },
  scriptTimeoutSeconds: {
    flag: 'script-timeout',
    type: 'number',
    describe: 'seconds a single job script may run before it is stopped (default: no limit, as BBR); unlock still runs',
    group: CONNECTION,
    validate: positiveSeconds,
  },
  commandTimeoutSeconds: {
    flag: 'command-timeout',
    type: 'number',
    default: DEFAULT_COMMAND_LIMITS.commandTimeoutMs / 1000,
    describe: 'seconds a housekeeping command on an instance (finding scripts, du, mkdir, rm) may run before it is stopped and reported',
    group: CONNECTION,
    validate: positiveSeconds,
  },
  transferStallTimeoutSeconds: {
    flag: 'transfer-stall-timeout',
    type: 'number',
    default: DEFAULT_COMMAND_LIMITS.transferStallTimeoutMs / 1000,
    describe: 'seconds a transfer (tar of an artifact, its checksum listing) may go without moving a byte before it is stopped and reported',
    group: CONNECTION,
    validate: positiveSeconds,
  },
  interruptTimeoutSeconds: {
    flag: 'interrupt-timeout',
    type: 'number',
    default: DEFAULT_INTERRUPT_TIMEOUT_MS / 1000,
    describe: 'seconds cancelling, unlock and cleanup may take after the first Ctrl-C or SIGTERM; then bbr-ts abandons them and exits (as on a third Ctrl-C)',
    group: CONNECTION,
    validate: positiveSeconds,
  },
});

/** The SSH login of `deployment` mode: with --target the director hands out a temporary user and key. */
export const LOGIN_OPTIONS = defineOptions({
  username: {
    flag: 'username',
    alias: 'u',
    type: 'string',
    describe: 'with --manifest: SSH user on the instances (scripts run through `sudo -n` unless it is root); with --target: the director user or UAA client id',
    group: CONNECTION,
    env: ['BOSH_CLIENT'],
    envWhen: 'with --target',
  },
  privateKeyPath: {
    flag: 'private-key-path',
    alias: 'key',
    type: 'string',
    describe: 'SSH private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519); with --manifest only (the director hands out a temporary key)',
    group: CONNECTION,
  },
});

/** The SSH login of `director` mode: the same flags, always needed. */
export const DIRECTOR_LOGIN_OPTIONS = defineOptions({
  username: {
    ...LOGIN_OPTIONS.username,
    required: true,
    env: undefined,
    envWhen: undefined,
    describe: 'SSH user on the instances; scripts run through `sudo -n` unless it is root',
  },
  privateKeyPath: { ...LOGIN_OPTIONS.privateKeyPath, required: true, describe: 'SSH private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519)' },
});

/** Where `deployment` mode's instances come from: a manifest, or a BOSH director as in BBR (cmd/bbr/main.go). */
export const DEPLOYMENT_OPTIONS = defineOptions({
  manifest: {
    flag: 'manifest',
    alias: 'm',
    type: 'string',
    describe: 'BOSH deployment manifest; instance N of a group is reached at the Nth static IP of its networks (for foundations without a director)',
    group: DEPLOYMENT,
  },
  target: {
    flag: 'target',
    alias: 't',
    type: 'string',
    describe: 'BOSH director URL or address: the instances, their addresses and a temporary SSH user come from it, as with BBR; always HTTPS, port 25555 unless given',
    group: DIRECTOR,
    env: ['BOSH_ENVIRONMENT'],
    envWhen: 'without --manifest',
  },
  allDeployments: {
    flag: 'all-deployments',
    type: 'boolean',
    describe: 'with --target: every deployment of the director that has backup scripts, 10 at a time, one artifact directory each and one summary (pre-backup-check, backup, backup-cleanup only)',
    group: DIRECTOR,
  },
  password: {
    flag: 'password',
    alias: 'p',
    type: 'string',
    describe: 'director password or UAA client secret; prefer the variable, a flag shows in `ps`',
    group: DIRECTOR,
    env: ['BOSH_CLIENT_SECRET'],
  },
  caCert: {
    flag: 'ca-cert',
    type: 'string',
    describe: 'CA certificate of the director and its UAA: a PEM file or the PEM text itself',
    group: DIRECTOR,
    env: ['CA_CERT', 'BOSH_CA_CERT'],
  },
  deployment: {
    flag: 'deployment',
    alias: 'd',
    type: 'string',
    describe: 'with --target: the deployment to work on; with --manifest: the name used for the artifact directory (default: the manifest\'s `name`)',
    group: DEPLOYMENT,
    env: ['BOSH_DEPLOYMENT'],
    envWhen: 'with --target',
  },
  sshPort: { flag: 'ssh-port', type: 'number', default: 22, describe: 'SSH port of every instance (--manifest)', group: DEPLOYMENT },
  gateway: {
    flag: 'gateway',
    type: 'string',
    describe: 'reach the instances (and the director) through a jumpbox: ssh+socks5://USER@HOST:PORT?private-key=PATH (bosh-cli\'s form); its host key is checked against --known-hosts',
    group: CONNECTION,
    env: ['BOSH_ALL_PROXY'],
  },
});

/** `director` mode's one VM. */
export const DIRECTOR_HOST_OPTIONS = defineOptions({
  host: { flag: 'host', type: 'string', required: true, describe: 'the director VM as HOST or HOST:PORT (port 22 by default)', group: DIRECTOR },
});

/** `deployment remove-ssh-user`'s flag; the command printed when a run cannot remove its user repeats it. */
export const REMOVE_SSH_USER_OPTIONS = defineOptions({
  user: { flag: 'user', type: 'string', required: true, describe: 'the bosh_... user named in that run\'s error' },
});

/** Everything `deployment [flags]` takes before its subcommand, in --help's order. */
export const DEPLOYMENT_MODE_OPTIONS = combineOptions(DEPLOYMENT_OPTIONS, LOGIN_OPTIONS, CONNECTION_OPTIONS);
export type DeploymentModeOptions = OptionsOf<typeof DEPLOYMENT_MODE_OPTIONS>;

/** Everything `director [flags]` takes before its subcommand. */
export const DIRECTOR_MODE_OPTIONS = combineOptions(DIRECTOR_HOST_OPTIONS, DIRECTOR_LOGIN_OPTIONS, CONNECTION_OPTIONS);
export type DirectorModeOptions = OptionsOf<typeof DIRECTOR_MODE_OPTIONS>;

/**
 * Declares a connecting mode's flags. BBR_TS_<FLAG> environment variables are scoped to these modes: set
 * globally, a BBR_TS_MANIFEST exported for `deployment` would be an unknown argument to `artifact verify`.
 */
export function declareModeOptions<A>(y: Argv<A>, table: typeof DEPLOYMENT_MODE_OPTIONS | typeof DIRECTOR_MODE_OPTIONS): Argv<A> {
  return declareOptions(y.env(ENV_PREFIX), table);
}

function connectionFlags(options: OptionsOf<typeof CONNECTION_OPTIONS>, username: string, privateKeyPath: string): ConnectionFlags {
  return { ...pickOptions(options, CONNECTION_OPTIONS), username, privateKeyPath };
}

export function directorFlags(options: DirectorModeOptions): DirectorFlags {
  return Object.freeze({ ...connectionFlags(options, options.username, options.privateKeyPath), host: options.host });
}

/**
 * `deployment` mode's flags once read: manifest mode, or BBR's deployment mode (--target or BOSH_ENVIRONMENT)
 * with BBR's flags and environment variables (cmd/bbr/main.go). Refuses combinations that cannot work.
 */
export function deploymentFlags(options: DeploymentModeOptions, env: NodeJS.ProcessEnv = process.env): DeploymentFlags {
  const { manifest, allDeployments } = options;
  const environment = fromEnvironment(DEPLOYMENT_OPTIONS.target, env);
  const director = options.target !== undefined || (manifest === undefined && Boolean(environment));
  const [m, t, d, all] = [DEPLOYMENT_OPTIONS.manifest, DEPLOYMENT_OPTIONS.target, DEPLOYMENT_OPTIONS.deployment, DEPLOYMENT_OPTIONS.allDeployments].map(dashed);
  if (manifest !== undefined && options.target !== undefined) throw new UsageError(`pass either ${m} or ${t}, not both`);
  if (allDeployments === true && options.deployment !== undefined) throw new UsageError(`pass either ${d} or ${all}, not both`);
  if (allDeployments === true && !director) throw new UsageError(`${all} needs ${t} (the director lists the deployments)`);
  const gateway = { gateway: options.gateway ?? (fromEnvironment(DEPLOYMENT_OPTIONS.gateway, env) || undefined), gatewayFlag: options.gateway };
  if (!director) {
    if (manifest === undefined) throw new UsageError(`pass ${m} FILE (instances at static IPs) or ${t} DIRECTOR (BBR's deployment mode; or set BOSH_ENVIRONMENT)`);
    const missing = (['username', 'privateKeyPath'] as const).filter((key) => options[key] === undefined).map((key) => LOGIN_OPTIONS[key].flag);
    if (missing.length > 0) throw new UsageError(`Missing required argument${missing.length > 1 ? 's' : ''} with ${m}: ${missing.join(', ')}`);
    return Object.freeze({
      ...connectionFlags(options, options.username!, options.privateKeyPath!),
      manifest,
      deployment: options.deployment,
      sshPort: options.sshPort,
      ...gateway,
    });
  }
  const target = (options.target ?? environment)!;
  const client = options.username ?? fromEnvironment(LOGIN_OPTIONS.username, env);
  const secret = options.password ?? fromEnvironment(DEPLOYMENT_OPTIONS.password, env);
  const deployment = allDeployments === true ? undefined : (options.deployment ?? fromEnvironment(DEPLOYMENT_OPTIONS.deployment, env));
  if (!client) throw new UsageError(`with ${t}, pass --username (or BOSH_CLIENT): the director user or UAA client`);
  if (secret === undefined) throw new UsageError(`with ${t}, pass --password (or BOSH_CLIENT_SECRET): the director password or UAA client secret`);
  if (!deployment && allDeployments !== true) throw new UsageError(`with ${t}, pass ${d} NAME (or BOSH_DEPLOYMENT), or ${all}`);
  return Object.freeze({
    ...connectionFlags(options, client, ''),
    manifest,
    deployment,
    sshPort: options.sshPort,
    ...gateway,
    allDeployments: allDeployments === true,
    director: { target, client, secret, caCert: options.caCert ?? fromEnvironment(DEPLOYMENT_OPTIONS.caCert, env), passwordFromFlag: options.password !== undefined },
  });
}

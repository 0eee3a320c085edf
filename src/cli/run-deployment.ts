// Composition root for `bbr-ts deployment ...`: the instances come from a BOSH manifest (--manifest) or from a
// BOSH director (--target, BBR's deployment mode); the pipeline itself is orchestrate/run-operation.ts.
import { readFile } from 'node:fs/promises';
import type { DirectorOptions } from '../director/client.js';
import { DirectorSource } from '../director/source.js';
import { UsageError, type Remedy } from '../errors.js';
import { ManifestSource } from '../manifest/index.js';
import { NAME_HINT, nameProblem, quoteName } from '../names.js';
import type { Operation } from '../orchestrate/events.js';
import { jumpboxGateway, loadCredentials, parseAllProxy, shellCommand, type Gateway, type OpenableGateway } from '../ssh/index.js';
import { flagArgs } from './option-table.js';
import { CONNECTION_OPTIONS, DEPLOYMENT_OPTIONS, LOGIN_OPTIONS, REMOVE_SSH_USER_OPTIONS } from './options.js';
import { runAllDeployments } from './run-all-deployments.js';
import type { ResolvedDeployment } from '../orchestrate/instance-source.js';
import { runOperation, type Workflow } from './run-operation.js';
import type { ConnectionFlags, Runtime } from './runtime.js';

export interface DirectorTargetFlags {
  /** --target / BOSH_ENVIRONMENT as given. */
  target: string;
  client: string;
  secret: string;
  /** --ca-cert / CA_CERT / BOSH_CA_CERT: PEM text or a file path. */
  caCert?: string;
  /** The secret came from --password (the printed commands then say to set BOSH_CLIENT_SECRET instead). */
  passwordFromFlag: boolean;
}

export interface DeploymentFlags extends ConnectionFlags {
  manifest?: string;
  deployment?: string;
  sshPort: number;
  /** Set in BBR's deployment mode (--target). */
  director?: DirectorTargetFlags;
  /** --gateway / BOSH_ALL_PROXY as given. */
  gateway?: string;
  /** --gateway, when it was given as a flag (printed commands repeat it). */
  gatewayFlag?: string;
  /** --all-deployments: every deployment of the director (run-all-deployments.ts). */
  allDeployments?: boolean;
}

/** Per request to the director or UAA, connect to last byte (the cli has none; a hung director must not hang a run). */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long a director task (VM listing, ssh setup/cleanup) may take; the director itself waits 45 s per agent. */
const TASK_TIMEOUT_MS = 15 * 60_000;

export async function runDeploymentOperation(runtime: Runtime, flags: DeploymentFlags, operation: Operation, workflow: Workflow): Promise<number> {
  if (flags.allDeployments) return runAllDeployments(runtime, flags, operation, workflow);
  const gateway = flags.gateway === undefined ? undefined : gatewayFor(flags.gateway, flags);
  try {
    const cleanupCommand = (verb: Remedy) =>
      flags.director ? directorCommand(flags.director, flags.deployment!, [verb], flags) : deploymentCleanupCommand(flags, verb);
    const source = { resolve: (signal: AbortSignal) => resolveScope(flags, gateway, signal) };
    return await runOperation(runtime, { ...flags, gateway }, operation, { source, cleanupCommand }, workflow);
  } finally {
    gateway?.close();
  }
}

/** BOSH_ALL_PROXY's jumpbox; nothing is read or dialled until the first connection needs it. */
export function gatewayFor(value: string, flags: Pick<ConnectionFlags, 'knownHosts' | 'dangerouslySkipHostKeyCheck' | 'connectTimeoutSeconds'>): OpenableGateway {
  const parsed = parseAllProxy(value);
  if ('problem' in parsed) {
    throw new UsageError(`--gateway (or BOSH_ALL_PROXY) ${JSON.stringify(value)} cannot be used: ${parsed.problem}`, {
      hint: 'write it as ssh+socks5://jumpbox@10.0.0.5:22?private-key=/path/to/jumpbox.key',
    });
  }
  return jumpboxGateway(
    {
      host: parsed.host,
      port: parsed.port,
      connectTimeoutMs: flags.connectTimeoutSeconds * 1000,
      credentials: () =>
        loadCredentials({ username: parsed.username, privateKeyPath: parsed.privateKeyPath, knownHostsPath: flags.dangerouslySkipHostKeyCheck ? null : flags.knownHosts }),
    },
    parsed.username,
  );
}

/** The instance source the flags name: a director (--target) or a manifest. */
async function resolveScope(flags: DeploymentFlags, gateway: Gateway | undefined, signal: AbortSignal): Promise<ResolvedDeployment> {
  // Checked before anything is read: the flag is the operator's, and it names the artifact directory.
  const refused = flags.deployment === undefined ? undefined : nameProblem(flags.deployment);
  if (refused) throw new UsageError(`--deployment ${quoteName(flags.deployment!)} cannot be used: ${refused}`, { hint: NAME_HINT });
  if (flags.director) {
    return (await directorSource(flags, gateway)).resolve(signal);
  }
  return new ManifestSource(flags.manifest!, { sshPort: flags.sshPort, deployment: flags.deployment }).resolve();
}

export async function directorOptionsFor(director: DirectorTargetFlags, gateway?: Gateway): Promise<DirectorOptions> {
  const { host, port } = parseTarget(director.target);
  return {
    endpoint: { host, port, ca: await readCaCert(director.caCert), dial: gateway ? (h, p, signal) => gateway.dial(h, p, signal) : undefined },
    credentials: { client: director.client, secret: director.secret },
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    taskTimeoutMs: TASK_TIMEOUT_MS,
    pollIntervalMs: 500,
  };
}

export async function directorSource(flags: DeploymentFlags, gateway?: Gateway): Promise<DirectorSource> {
  const director = flags.director!;
  const deployment = flags.deployment!;
  return new DirectorSource({
    ...(await directorOptionsFor(director, gateway)),
    deployment,
    removeUserCommand: (user) => directorCommand(director, deployment, ['remove-ssh-user', ...flagArgs(REMOVE_SSH_USER_OPTIONS.user, user)], flags),
  });
}

/** Only host and port count; the scheme is always HTTPS and the port 25555 unless given (bosh-cli factory_config.go). */
export function parseTarget(text: string): { host: string; port: number } {
  // Scheme and path are dropped; a scheme without default ports keeps an explicit :443 or :80 as given.
  const authority = text.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
  let url: URL | undefined;
  try {
    url = authority === '' ? undefined : new URL(`bosh://${authority}`);
  } catch {
    url = undefined;
  }
  if (!url || url.hostname === '') {
    throw new UsageError(`--target ${JSON.stringify(text)} is not a director address`, { hint: 'pass it as https://10.0.0.6:25555, 10.0.0.6:25555 or 10.0.0.6' });
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 25_555 : Number(url.port) };
}

/** BBR's rule (cli CACertArg): a value containing BEGIN is the PEM itself, anything else a file to read. */
export async function readCaCert(value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError('--ca-cert (or CA_CERT/BOSH_CA_CERT) is empty', { hint: 'pass the director\'s CA certificate file, or unset the variable to use the system roots' });
  if (value.includes('BEGIN')) return value;
  try {
    return await readFile(value, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the CA certificate ${value}: ${(error as Error).message}`, { hint: 'pass the director\'s CA certificate file with --ca-cert' });
  }
}

/** A bbr-ts command against the same director and deployment, ready to paste; never the secret itself. */
function directorCommand(director: DirectorTargetFlags, deployment: string, rest: string[], reach: Pick<DeploymentFlags, 'gatewayFlag' | 'knownHosts'>): string {
  const { target, caCert, gateway } = DEPLOYMENT_OPTIONS;
  const ca = director.caCert === undefined || director.caCert.includes('BEGIN') ? [] : flagArgs(caCert, director.caCert);
  // A gateway given as a flag (BOSH_ALL_PROXY stays set in the operator's shell), and its known_hosts.
  const through = reach.gatewayFlag === undefined ? [] : [...flagArgs(gateway, reach.gatewayFlag), ...knownHostsArgs(reach)];
  const command = shellCommand([
    'bbr-ts',
    'deployment',
    ...flagArgs(target, director.target),
    ...flagArgs(LOGIN_OPTIONS.username, director.client),
    ...flagArgs(DEPLOYMENT_OPTIONS.deployment, deployment),
    ...ca,
    ...through,
    ...rest,
  ]);
  return `${DEPLOYMENT_OPTIONS.password.env[0]}=... ${command}`;
}

function knownHostsArgs(flags: Pick<DeploymentFlags, 'knownHosts'>): string[] {
  return flags.knownHosts === CONNECTION_OPTIONS.knownHosts.default ? [] : flagArgs(CONNECTION_OPTIONS.knownHosts, flags.knownHosts);
}

/** The cleanup command for this run, with every flag that changes how instances are reached, ready to paste. */
export function deploymentCleanupCommand(flags: DeploymentFlags, verb: Remedy): string {
  const { manifest, sshPort, gateway } = DEPLOYMENT_OPTIONS;
  return shellCommand([
    'bbr-ts',
    'deployment',
    ...flagArgs(manifest, flags.manifest!),
    ...flagArgs(LOGIN_OPTIONS.username, flags.username),
    ...flagArgs(LOGIN_OPTIONS.privateKeyPath, flags.privateKeyPath),
    ...(flags.dangerouslySkipHostKeyCheck ? flagArgs(CONNECTION_OPTIONS.dangerouslySkipHostKeyCheck) : knownHostsArgs(flags)),
    ...(flags.sshPort === sshPort.default ? [] : flagArgs(sshPort, flags.sshPort)),
    ...(flags.gatewayFlag === undefined ? [] : flagArgs(gateway, flags.gatewayFlag)),
    verb,
  ]);
}

// One SSH connection to a jumpbox that carries every other connection of the run as a `direct-tcpip` channel:
// SSH to the instances and HTTPS to the director and UAA (BOSH_ALL_PROXY=ssh+socks5://..., bosh-utils
// httpclient/socksify.go; despite the name no SOCKS server is involved). Unlike BBR, which trusts the jumpbox's key
// on first use, its host key is checked against known_hosts like any instance's. Opened on the first dial, shared
// by all, closed at the end of the run.
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { ConnectionError, HostKeyError } from '../errors.js';
import { isAuthFailure } from './auth-failure.js';
import type { Gateway } from './connection.js';
import type { SshCredentials } from './credentials.js';
import { checkHostKey } from './host-key-check.js';
import { hostKeyAlgorithmsFor } from './known-hosts.js';

const { Client } = ssh2;

export interface GatewayOptions {
  host: string;
  port: number;
  /** Read on the first dial, so a run that never dials never reads the key. */
  credentials: () => Promise<SshCredentials>;
  connectTimeoutMs: number;
  /** BBR's keep-alive interval for the jumpbox connection. */
  keepaliveIntervalMs?: number;
}

export interface OpenableGateway extends Gateway {
  close(): void;
}

export function jumpboxGateway(options: GatewayOptions, username: string): OpenableGateway {
  let client: Promise<InstanceType<typeof Client>> | undefined;
  let closed = false;
  const where = `${username}@${options.host}:${options.port}`;
  const open = async (): Promise<InstanceType<typeof Client>> => connectJumpbox(await options.credentials());
  const connectJumpbox = (credentials: SshCredentials): Promise<InstanceType<typeof Client>> =>
    new Promise((resolve, reject) => {
      const c = new Client();
      let hostKeyProblem: HostKeyError | undefined;
      const config: ConnectConfig = {
        host: options.host,
        port: options.port,
        username: credentials.username,
        privateKey: credentials.privateKey,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs ?? 60_000,
        keepaliveCountMax: 3,
      };
      const knownHosts = credentials.knownHosts;
      if (knownHosts) {
        const known = knownHosts.keysFor(options.host, options.port);
        const trusted = known.filter((k) => !k.revoked);
        if (trusted.length > 0) config.algorithms = { serverHostKey: hostKeyAlgorithmsFor(trusted.map((k) => k.keyType)) as never };
        config.hostVerifier = (key: Buffer) => {
          hostKeyProblem = checkHostKey(key, known, { instance: 'the gateway', host: options.host, port: options.port }, knownHosts.file);
          return hostKeyProblem === undefined;
        };
      }
      c.once('ready', () => {
        c.removeAllListeners('error');
        // Errors after this point surface on the channels that use the connection.
        c.on('error', () => {});
        c.on('close', () => {
          client = undefined;
        });
        resolve(c);
      });
      c.once('error', (error) => {
        c.destroy();
        if (hostKeyProblem) return reject(hostKeyProblem);
        const refused = isAuthFailure(error);
        reject(
          new ConnectionError(`cannot connect to the gateway ${where}: ${refused ? 'it refused the key' : error.message}`, {
            cause: error,
            hint: refused
              ? `check that the key ${credentials.privateKeyPath} is in the authorized_keys of ${credentials.username} on the jumpbox (BOSH_ALL_PROXY's private-key and user)`
              : 'check the jumpbox address and port in BOSH_ALL_PROXY (or --gateway), and that it is reachable from here',
          }),
        );
      });
      c.connect(config);
    });

  return {
    async dial(host, port, signal) {
      signal?.throwIfAborted();
      if (closed) throw new ConnectionError(`the gateway ${where} was closed by bbr-ts`);
      client ??= open().catch((error: unknown) => {
        client = undefined;
        throw error;
      });
      const c = await client;
      return new Promise((resolve, reject) => {
        c.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
          if (error) {
            return reject(
              new ConnectionError(`the gateway ${where} could not reach ${host}:${port}: ${error.message}`, {
                hint: 'check that the jumpbox can reach that address (and that its sshd allows TCP forwarding)',
              }),
            );
          }
          resolve(channel);
        });
      });
    },
    close() {
      closed = true;
      void client?.then((c) => c.end(), () => {});
    },
  };
}

/**
 * `ssh+socks5://[user@]host:port?private-key=/path` (bosh-utils socksify.go): the user defaults to `jumpbox`,
 * private-key is required. Other proxy forms (plain socks5://) are not supported.
 */
export function parseAllProxy(value: string): { username: string; host: string; port: number; privateKeyPath: string } | { problem: string } {
  if (!value.startsWith('ssh+')) return { problem: 'only the ssh+socks5://USER@HOST:PORT?private-key=PATH form is supported' };
  let url: URL;
  try {
    url = new URL(value.slice('ssh+'.length));
  } catch {
    return { problem: 'it is not a URL' };
  }
  if (url.protocol !== 'socks5:') return { problem: 'only the ssh+socks5://USER@HOST:PORT?private-key=PATH form is supported' };
  const privateKeyPath = url.searchParams.get('private-key');
  if (!privateKeyPath) return { problem: "required query parameter 'private-key' not found" };
  if (url.hostname === '') return { problem: 'it names no host' };
  return {
    username: url.username === '' ? 'jumpbox' : decodeURIComponent(url.username),
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 22 : Number(url.port),
    privateKeyPath,
  };
}

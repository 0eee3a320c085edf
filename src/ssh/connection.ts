// One authenticated ssh2 connection per instance, many channels on it. Host keys are checked against
// known_hosts (host-key-check.ts), dead peers are found by keepalives, connecting is retried with backoff,
// and each command runs on its own channel (run-channel.ts).
import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { ConnectionError, HostKeyError } from '../errors.js';
import { isAuthFailure } from './auth-failure.js';
import type { SshCredentials } from './credentials.js';
import { parsePublicKeyLine } from './credentials.js';
import { checkHostKey, checkPinnedHostKey } from './host-key-check.js';
import { hostKeyAlgorithmsFor } from './known-hosts.js';
import type { CommandLimits, ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';
import { runChannel, type ChannelExit, type ChannelOptions, type OpenedChannel } from './run-channel.js';

const { Client } = ssh2;

export interface ConnectOptions {
  instance: string;
  host: string;
  port: number;
  credentials: SshCredentials;
  connectTimeoutMs: number;
  /** Attempts for connecting; only connecting is retried, never a command. */
  attempts?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Channels open at once on this connection; sshd's MaxSessions defaults to 10. */
  maxChannels?: number;
  /** Bounds for commands that do not bring their own (DEFAULT_COMMAND_LIMITS when left out). */
  limits?: CommandLimits;
  signal?: AbortSignal;
  /** Dials the instance through a gateway (a jumpbox) instead of directly; see gateway.ts. */
  gateway?: Gateway;
}

/** Opens a byte stream to host:port on behalf of a connection (an SSH direct-tcpip channel through a jumpbox). */
export interface Gateway {
  dial(host: string, port: number, signal?: AbortSignal): Promise<NodeJS.ReadWriteStream>;
}

/**
 * The one place the defaults live (the CLI's --command-timeout and --transfer-stall-timeout show them). Ten
 * minutes lets `rm -rf` of an artifact of millions of files finish; five minutes without a byte is no transfer.
 */
export const DEFAULT_COMMAND_LIMITS: Readonly<CommandLimits> = Object.freeze({
  commandTimeoutMs: 600_000,
  transferStallTimeoutMs: 300_000,
});

// AES-GCM first: CPUs encrypt it in hardware on both ends (OpenSSH and Node's OpenSSL), so a drain runs at
// the speed of `ssh -c aes128-gcm@openssh.com`; ChaCha20 stays as a fallback for servers without AES-GCM.
const CIPHERS = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes256-ctr',
  'chacha20-poly1305@openssh.com',
];



export async function connect(options: ConnectOptions): Promise<RemoteShell> {
  const attempts = options.attempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await connectOnce(options);
    } catch (error) {
      lastError = error;
      // A wrong host key or a refused key will not get better by trying again.
      if (error instanceof HostKeyError || isAuthFailure(error)) break;
      if (attempt < attempts) await backOff(250 * 2 ** (attempt - 1), options.signal);
    }
  }
  if (lastError instanceof HostKeyError) throw lastError;
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new ConnectionError(`cannot connect to ${options.instance} at ${options.host}:${options.port}: ${reason}`, {
    cause: lastError,
    hint: isAuthFailure(lastError)
      ? `check that --username ${options.credentials.username} and the key ${options.credentials.privateKeyPath} are accepted by the instance`
      : 'check that the instance is running and reachable from here on that address and port (--ssh-port), and raise --connect-timeout on slow networks',
  });
}

async function connectOnce(options: ConnectOptions): Promise<RemoteShell> {
  const sock = options.gateway ? await options.gateway.dial(options.host, options.port, options.signal) : undefined;
  return connectOver(options, sock);
}

function connectOver(options: ConnectOptions, sock: NodeJS.ReadWriteStream | undefined): Promise<RemoteShell> {
  const { credentials, host, port } = options;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyProblem: HostKeyError | undefined;
    const config: ConnectConfig = {
      host,
      port,
      username: credentials.username,
      privateKey: credentials.privateKey,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      algorithms: { cipher: CIPHERS as never },
    };
    if (sock) config.sock = sock as never;
    if (credentials.pinnedHostKey !== undefined) {
      const pinned = parsePublicKeyLine(credentials.pinnedHostKey);
      if (!pinned) {
        reject(new HostKeyError(`the host key reported for ${options.instance} is not a public key`, { hint: 'check the instance with `bosh -d DEPLOYMENT instances`; its agent may be broken' }));
        return;
      }
      // Offer only the pinned key's type, so the server cannot pick another key we have no record of.
      config.algorithms = { ...config.algorithms, serverHostKey: hostKeyAlgorithmsFor([pinned.type]) as never };
      config.hostVerifier = (key: Buffer) => {
        hostKeyProblem = checkPinnedHostKey(key, pinned, options);
        return hostKeyProblem === undefined;
      };
    } else if (credentials.knownHosts) {
      const known = credentials.knownHosts.keysFor(host, port);
      const trusted = known.filter((k) => !k.revoked);
      // Offer only the key types we have on record, so the server cannot pick one we cannot check.
      if (trusted.length > 0) {
        config.algorithms = { ...config.algorithms, serverHostKey: hostKeyAlgorithmsFor(trusted.map((k) => k.keyType)) as never };
      }
      config.hostVerifier = (key: Buffer) => {
        hostKeyProblem = checkHostKey(key, known, options, credentials.knownHosts!.file);
        return hostKeyProblem === undefined;
      };
    }
    const onAbort = () => client.destroy();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      options.signal?.removeEventListener('abort', onAbort);
      client.removeAllListeners('error');
      resolve(new SshConnection(client, options));
    });
    client.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(hostKeyProblem ?? error);
    });
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 refuses some configurations at once (a key it cannot parse), without an 'error' event.
      options.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(error);
    }
  });
}


class SshConnection implements RemoteShell {
  readonly instance: string;
  readonly needsSudo: boolean;
  private readonly client: InstanceType<typeof Client>;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly limits: CommandLimits;
  private closedError: ConnectionError | undefined;

  constructor(client: InstanceType<typeof Client>, options: ConnectOptions) {
    this.client = client;
    this.instance = options.instance;
    this.needsSudo = options.credentials.username !== 'root';
    this.limit = pLimit(options.maxChannels ?? 8);
    this.limits = options.limits ?? DEFAULT_COMMAND_LIMITS;
    const lost = (reason: string) => {
      this.closedError ??= new ConnectionError(`connection to ${options.instance} (${options.host}:${options.port}) lost: ${reason}`, {
        hint: 'check that the instance is up; then run the matching cleanup command (backup-cleanup or restore-cleanup) so no job stays locked',
      });
    };
    client.on('error', (error) => lost(error.message));
    client.on('close', () => lost('the connection was closed'));
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return options.bypassChannelLimit ? this.execNow(command, options) : this.limit(() => this.execNow(command, options));
  }

  close(): void {
    this.closedError ??= new ConnectionError(`connection to ${this.instance} was closed by bbr-ts`);
    this.client.end();
  }

  private async execNow(command: string, options: ExecOptions): Promise<ExecResult> {
    options.signal?.throwIfAborted();
    if (this.closedError) throw this.closedError;
    const opened = await new Promise<OpenedChannel>((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) return reject(this.closedError ?? error);
        // Listen now, not after the await: ssh2 may parse the whole reply (data, exit-status, close) in the same
        // tick as this callback, and a missed 'exit' turned a successful command into "no exit status".
        const exit: ChannelExit = { code: null, signal: null };
        const exited = new Promise<void>((done) =>
          channel.on('exit', (code: number | null, signalName?: string) => {
            exit.code = typeof code === 'number' ? code : null;
            exit.signal = signalName ?? null;
            done();
          }),
        );
        const closed = new Promise<void>((done) => channel.once('close', () => done()));
        resolve({ channel, exit, exited, closed });
      });
    });
    return runChannel(opened, this.bounded(options), () => this.closedError);
  }

  /** Every command gets a bound: its own, the stall timeout for a transfer, or the command timeout. */
  private bounded({ timeoutMs, transfer, ...rest }: ExecOptions): ChannelOptions {
    return {
      ...rest,
      timeoutMs: timeoutMs === undefined ? (transfer ? undefined : this.limits.commandTimeoutMs) : (timeoutMs ?? undefined),
      stallTimeoutMs: transfer ? this.limits.transferStallTimeoutMs : undefined,
    };
  }
}


/** Waits between attempts; an abort ends the wait with the signal's own reason. Its listener goes when it ends. */
async function backOff(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}

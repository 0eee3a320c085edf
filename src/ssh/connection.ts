// The only module that uses ssh2: one authenticated connection per instance, many channels on it.
// Host keys are checked against known_hosts, dead peers are found by keepalives, and every command can be
// cancelled or timed out (through the caller's stop function: TERM, then KILL; else by closing the channel).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { ConnectionError, CredentialsError, HostKeyError } from '../errors.js';
import { hostKeyAlgorithmsFor, parseKnownHosts, type KnownHosts } from './known-hosts.js';
import type { ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';
import { TailBuffer } from './tail-buffer.js';

const { Client, utils } = ssh2;

export interface SshCredentials {
  username: string;
  privateKey: Buffer;
  privateKeyPath: string;
  knownHosts: KnownHosts | null;
}

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
  signal?: AbortSignal;
}

// AES-GCM first: CPUs encrypt it in hardware on both ends (OpenSSH and Node's OpenSSL), so a drain runs at
// the speed of `ssh -c aes128-gcm@openssh.com`; ChaCha20 stays as a fallback for servers without AES-GCM.
const CIPHERS = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes256-ctr',
  'chacha20-poly1305@openssh.com',
];

const CAPTURE_LIMIT_BYTES = 4 * 1024 * 1024;
const STDERR_TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 5_000;

/** Reads the key and known_hosts once per run. `knownHostsPath: null` disables host-key checking. */
export async function loadCredentials(options: {
  username: string;
  privateKeyPath: string;
  knownHostsPath: string | null;
}): Promise<SshCredentials> {
  let privateKey: Buffer;
  try {
    privateKey = await readFile(options.privateKeyPath);
  } catch (error) {
    throw new CredentialsError(`cannot read private key ${options.privateKeyPath}: ${(error as Error).message}`, {
      hint: 'pass the path of an SSH private key file readable by this user with --private-key-path',
    });
  }
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    throw new CredentialsError(`cannot use private key ${options.privateKeyPath}: ${parsed.message}`, {
      hint: 'use an unencrypted OpenSSH or PEM private key (RSA, ECDSA or Ed25519)',
    });
  }
  let knownHosts: KnownHosts | null = null;
  if (options.knownHostsPath !== null) {
    let text: string;
    try {
      text = await readFile(options.knownHostsPath, 'utf8');
    } catch (error) {
      throw new CredentialsError(`cannot read known_hosts file ${options.knownHostsPath}: ${(error as Error).message}`, {
        hint: 'record the instances\' host keys (ssh-keyscan -p PORT HOST >> FILE) and pass the file with --known-hosts',
      });
    }
    knownHosts = parseKnownHosts(text, options.knownHostsPath);
  }
  return { ...options, privateKey, knownHosts };
}

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
      if (attempt < attempts) await sleep(250 * 2 ** (attempt - 1), options.signal);
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

function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && /authentication methods failed/i.test(error.message);
}

function connectOnce(options: ConnectOptions): Promise<RemoteShell> {
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
    if (credentials.knownHosts) {
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
    client.connect(config);
  });
}

function checkHostKey(
  key: Buffer,
  known: ReturnType<KnownHosts['keysFor']>,
  options: ConnectOptions,
  file: string,
): HostKeyError | undefined {
  const presented = utils.parseKey(key);
  const type = presented instanceof Error ? 'unknown' : presented.type;
  const fingerprint = `SHA256:${createFingerprint(key)}`;
  const where = `${options.instance} at ${options.host}:${options.port}`;
  const match = known.find((k) => k.key.equals(key));
  if (match?.revoked) {
    return new HostKeyError(`host key of ${where} (${type} ${fingerprint}) is marked @revoked in ${file}:${match.line}`, {
      hint: 'do not connect: find out why the key was revoked before running bbr-ts against this instance',
    });
  }
  if (match) return undefined;
  const nameInFile = options.port === 22 ? options.host : `[${options.host}]:${options.port}`;
  if (known.length === 0) {
    return new HostKeyError(`host key of ${where} is unknown: ${nameInFile} is not in ${file} (it offered ${type} ${fingerprint})`, {
      hint: `verify the fingerprint out of band, then add it: ssh-keyscan -p ${options.port} ${options.host} >> ${file}`,
    });
  }
  return new HostKeyError(
    `host key of ${where} has CHANGED: it offered ${type} ${fingerprint}, which differs from ${file}:${known[0]!.line}`,
    { hint: 'someone may be intercepting the connection, or the VM was recreated; verify, then update the known_hosts entry' },
  );
}

function createFingerprint(key: Buffer): string {
  // OpenSSH prints unpadded base64 of the SHA-256 of the key blob.
  return createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

class SshConnection implements RemoteShell {
  readonly instance: string;
  readonly needsSudo: boolean;
  private readonly client: InstanceType<typeof Client>;
  private readonly limit: ReturnType<typeof pLimit>;
  private closedError: ConnectionError | undefined;

  constructor(client: InstanceType<typeof Client>, options: ConnectOptions) {
    this.client = client;
    this.instance = options.instance;
    this.needsSudo = options.credentials.username !== 'root';
    this.limit = pLimit(options.maxChannels ?? 8);
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
        channel.on('exit', (code: number | null, signalName?: string) => {
          exit.code = typeof code === 'number' ? code : null;
          exit.signal = signalName ?? null;
        });
        const closed = new Promise<void>((done) => channel.once('close', () => done()));
        resolve({ channel, exit, closed });
      });
    });
    return runChannel(opened, options, () => this.closedError);
  }
}

interface ChannelExit {
  code: number | null;
  signal: string | null;
}

interface OpenedChannel {
  channel: ClientChannel;
  exit: ChannelExit;
  closed: Promise<void>;
}

async function runChannel(
  { channel, exit, closed: channelClosed }: OpenedChannel,
  options: ExecOptions,
  connectionError: () => ConnectionError | undefined,
): Promise<ExecResult> {
  const stderr = new TailBuffer(STDERR_TAIL_BYTES);
  const captured: Buffer[] = [];
  let capturedBytes = 0;
  let timedOut = false;
  let cancelled = false;

  channel.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    options.onStderr?.(chunk);
  });

  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  let giveUp: () => void = () => undefined;
  const abandoned = new Promise<void>((resolve) => (giveUp = resolve));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const later = (ms: number, fn: () => void) => timers.push(setTimeout(fn, ms));
    if (options.stop) {
      options.stop('TERM').catch(() => undefined);
      later(KILL_GRACE_MS, () => {
        options.stop!('KILL').catch(() => undefined);
        later(KILL_GRACE_MS, () => channel.close());
      });
    } else {
      channel.close();
    }
    // sshd keeps a channel open until its command exits; never wait forever for one that will not.
    later(3 * KILL_GRACE_MS, giveUp);
  };
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.timeoutMs !== undefined) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs),
    );
  }

  const closed = Promise.race([channelClosed, abandoned]);
  try {
    const feeding = options.stdin ? Promise.race([pipeline(options.stdin, channel), abandoned]) : (channel.end(), Promise.resolve());
    let draining: Promise<void>;
    if (options.stdout) {
      draining = Promise.race([pipeline(channel, options.stdout), abandoned]);
    } else {
      channel.on('data', (chunk: Buffer) => {
        options.onStdout?.(chunk);
        if (capturedBytes < CAPTURE_LIMIT_BYTES) {
          captured.push(chunk);
          capturedBytes += chunk.length;
        }
      });
      draining = closed;
    }
    // A local write failing (disk full, say) ends the command: stop the remote side (which would otherwise
    // block on a full window) and do not wait for a channel whose output nobody reads any more. (A failing
    // stdin is different: the command may simply have exited early, and its exit status is still coming.)
    if (options.stdout) {
      draining.catch(() => {
        stop();
        giveUp();
      });
    }
    const [fed, ...rest] = await Promise.allSettled([feeding, draining, closed]);
    // A command may exit before reading all of stdin (tar -x stops at the end-of-archive blocks and ignores the
    // record padding); with an exit status in hand, a write cut short is not a failure.
    const hasExited = exit.code !== null || exit.signal !== null;
    const outcome = hasExited ? rest : [fed, ...rest];
    const streamFailure = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (streamFailure && !cancelled && !timedOut) {
      channel.close();
      // A stream cut short by a dropped connection: report the connection, the real cause.
      throw connectionError() ?? streamFailure.reason;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    timers.forEach(clearTimeout);
  }
  const { code: exitCode, signal: exitSignal } = exit;
  if (exitCode === null && exitSignal === null && !cancelled && !timedOut) {
    const lost = connectionError();
    if (lost) throw lost;
  }
  return {
    exitCode,
    signal: exitSignal,
    stdout: Buffer.concat(captured).toString('utf8'),
    stderrTail: stderr.toString(),
    timedOut,
    cancelled,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

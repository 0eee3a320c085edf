// Runs one command on an opened SSH channel: feeds stdin, streams or captures stdout with backpressure, keeps
// the tails of stderr and of captured stdout (scripts report failures on either), and applies cancellation and timeouts through the caller's stop function.
import { pipeline } from 'node:stream/promises';
import type { ClientChannel } from 'ssh2';
import type { ConnectionError } from '../errors.js';
import type { ExecOptions, ExecResult } from './remote-shell.js';
import { TailBuffer } from './tail-buffer.js';

const CAPTURE_LIMIT_BYTES = 4 * 1024 * 1024;
const OUTPUT_TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 5_000;

export interface ChannelExit {
  code: number | null;
  signal: string | null;
}

export interface OpenedChannel {
  channel: ClientChannel;
  exit: ChannelExit;
  closed: Promise<void>;
}

export async function runChannel(
  { channel, exit, closed: channelClosed }: OpenedChannel,
  options: ExecOptions,
  connectionError: () => ConnectionError | undefined,
): Promise<ExecResult> {
  const stderr = new TailBuffer(OUTPUT_TAIL_BYTES);
  // The capture keeps the head of stdout (what a caller parses); a failure is explained by its end.
  const stdoutTail = new TailBuffer(OUTPUT_TAIL_BYTES);
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
        stdoutTail.push(chunk);
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
    stdoutTail: stdoutTail.toString(),
    timedOut,
    cancelled,
  };
}

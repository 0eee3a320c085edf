// Runs one command on an opened SSH channel: feeds stdin, streams or captures stdout with backpressure, keeps
// the tails of stderr and of captured stdout (scripts report failures on either), and applies cancellation,
// timeouts and the stall bound through the caller's stop function. Every way out is bounded: a command that
// will not stop, or a channel sshd keeps open, is given up on.
import { pipeline } from 'node:stream/promises';
import type { ClientChannel } from 'ssh2';
import type { ConnectionError } from '../errors.js';
import type { ExecOptions, ExecResult } from './remote-shell.js';
import { TailBuffer } from './tail-buffer.js';

export const CAPTURE_LIMIT_BYTES = 4 * 1024 * 1024;
const OUTPUT_TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 5_000;
// OpenSSH sends exit-status when the command exits, but closes the channel only once nothing holds the
// command's stdout and stderr any more (seen against the fleet: `(sleep 20) & exit 3` gets its exit status at
// once, the channel EOF 20 s later). Output still in flight arrives within moments of the exit status.
const HELD_OUTPUT_GRACE_MS = 5_000;

export interface ChannelExit {
  code: number | null;
  signal: string | null;
}

export interface OpenedChannel {
  channel: ClientChannel;
  exit: ChannelExit;
  /** Resolves when the exit status (or signal) arrives. */
  exited: Promise<void>;
  closed: Promise<void>;
}

/** ExecOptions with the connection's defaults applied: plain numbers, absent when there is no such bound. */
export interface ChannelOptions extends Omit<ExecOptions, 'timeoutMs' | 'transfer'> {
  timeoutMs?: number;
  stallTimeoutMs?: number;
}

export async function runChannel(
  { channel, exit, exited, closed: channelClosed }: OpenedChannel,
  options: ChannelOptions,
  connectionError: () => ConnectionError | undefined,
): Promise<ExecResult> {
  const stderr = new TailBuffer(OUTPUT_TAIL_BYTES);
  // The capture keeps the head of stdout (what a caller parses); a failure is explained by its end.
  const stdoutTail = new TailBuffer(OUTPUT_TAIL_BYTES);
  const captured: Buffer[] = [];
  let capturedBytes = 0;
  let stdoutTruncated = false;
  let timedOut = false;
  let stalled = false;
  let cancelled = false;
  let outputHeldOpen = false;
  const timers: NodeJS.Timeout[] = [];
  let settled = false;
  const later = (ms: number, fn: () => void) => {
    // Nothing is scheduled once the command is over: a late timer would only keep the process alive.
    const timer = setTimeout(fn, ms);
    if (settled) clearTimeout(timer);
    else timers.push(timer);
    return timer;
  };

  // The stall bound: re-armed by every byte that moves either way.
  const stallTimer = options.stallTimeoutMs === undefined ? undefined : later(options.stallTimeoutMs, () => {
    stalled = true;
    stop();
  });
  const moved = () => stallTimer?.refresh();

  channel.stderr.on('data', (chunk: Buffer) => {
    moved();
    stderr.push(chunk);
    options.onStderr?.(chunk);
  });
  let stopping = false;
  let giveUp: () => void = () => undefined;
  const abandoned = new Promise<void>((resolve) => (giveUp = resolve));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // sshd keeps a channel open until its command exits; never wait forever for one that will not.
    if (options.stop) {
      options.stop('TERM').catch(() => undefined);
      later(KILL_GRACE_MS, () => {
        options.stop!('KILL').catch(() => undefined);
        later(KILL_GRACE_MS, () => channel.close());
      });
      later(3 * KILL_GRACE_MS, giveUp);
    } else {
      channel.close();
      later(KILL_GRACE_MS, giveUp);
    }
  };
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.timeoutMs !== undefined) {
    later(options.timeoutMs, () => {
      timedOut = true;
      stop();
    });
  }
  const closed = Promise.race([channelClosed, abandoned]);
  // Captured output is read as fast as it comes, so once the command has exited, output that has not ended
  // within the grace period is held open by something the command left running: stop waiting for it. (Streamed
  // output may lag behind the exit status by a whole window waiting on a slow local disk: transfers are bounded
  // by the stall timeout instead.)
  if (!options.stdout) {
    void exited.then(() =>
      later(HELD_OUTPUT_GRACE_MS, () => {
        outputHeldOpen = true;
        channel.close();
        later(KILL_GRACE_MS, giveUp);
      }),
    );
  }
  try {
    const feeding = options.stdin ? Promise.race([pipeline(options.stdin, channel), abandoned]) : (channel.end(), Promise.resolve());
    options.stdin?.on('data', moved);
    let draining: Promise<void>;
    if (options.stdout) {
      draining = Promise.race([pipeline(channel, options.stdout), abandoned]);
      channel.on('data', moved);
    } else {
      channel.on('data', (chunk: Buffer) => {
        options.onStdout?.(chunk);
        stdoutTail.push(chunk);
        if (capturedBytes >= CAPTURE_LIMIT_BYTES) {
          stdoutTruncated = true;
          return;
        }
        const kept = chunk.subarray(0, CAPTURE_LIMIT_BYTES - capturedBytes);
        if (kept.length < chunk.length) stdoutTruncated = true;
        captured.push(kept);
        capturedBytes += kept.length;
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
    if (streamFailure && !cancelled && !timedOut && !stalled) {
      channel.close();
      // A stream cut short by a dropped connection: report the connection, the real cause.
      throw connectionError() ?? streamFailure.reason;
    }
  } finally {
    settled = true;
    options.signal?.removeEventListener('abort', onAbort);
    options.stdin?.off('data', moved);
    timers.forEach(clearTimeout);
  }
  const { code: exitCode, signal: exitSignal } = exit;
  if (exitCode === null && exitSignal === null && !cancelled && !timedOut && !stalled) {
    const lost = connectionError();
    if (lost) throw lost;
  }
  return {
    exitCode,
    signal: exitSignal,
    stdout: Buffer.concat(captured).toString('utf8'),
    stdoutTruncated,
    stderrTail: stderr.toString(),
    stdoutTail: stdoutTail.toString(),
    timedOut,
    stalled,
    cancelled,
    outputHeldOpen,
  };
}

// The bound on an interrupted run: after the first Ctrl-C or SIGTERM, cancelling scripts, unlock and cleanup
// get --interrupt-timeout to finish; then they are abandoned as on a third Ctrl-C, so the process always exits
// in bounded time (a hung unlock script, run without --script-timeout, would otherwise keep it alive forever).
import { setMaxListeners } from 'node:events';
import type { Writable } from 'node:stream';
import { CancelledError } from '../errors.js';

export const DEFAULT_INTERRUPT_TIMEOUT_MS = 600_000;

/** The force signal a run's unlock and cleanup obey: the operator's insisting, or the deadline after an interrupt. */
export function forceSignalWithDeadline(options: {
  signal: AbortSignal;
  forceSignal: AbortSignal;
  interruptTimeoutMs: number;
  stderr: Writable;
}): AbortSignal {
  const deadline = new AbortController();
  const start = () => {
    const timer = setTimeout(() => {
      if (options.forceSignal.aborted) return;
      const seconds = options.interruptTimeoutMs / 1000;
      deadline.abort(new CancelledError(`unlock and cleanup were abandoned ${seconds} s after the interrupt (--interrupt-timeout)`));
      options.stderr.write(`\nUnlock and cleanup did not finish within --interrupt-timeout (${seconds} s) of the interrupt: abandoning them. Jobs may stay LOCKED: run the cleanup command printed below once this exits.\n`);
    }, options.interruptTimeoutMs);
    // The deadline bounds the run; it must not keep a finished process alive.
    timer.unref();
  };
  if (options.signal.aborted) start();
  else options.signal.addEventListener('abort', start, { once: true });
  const force = AbortSignal.any([options.forceSignal, deadline.signal]);
  // Every running remote command listens on these; at --parallelism above 10 Node would warn about a leak.
  setMaxListeners(0, options.signal, force);
  return force;
}

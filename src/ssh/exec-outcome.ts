// Says in words why a housekeeping command or transfer did not succeed, so every caller reports a timeout, a
// stall or an exit status the same way (job scripts have their own wording in ScriptError).
import type { ExecResult } from './remote-shell.js';
import { CAPTURE_LIMIT_BYTES } from './run-channel.js';

/** The cap on captured stdout, in words, for messages about output that exceeded it. */
export const CAPTURE_LIMIT_TEXT = `${CAPTURE_LIMIT_BYTES / (1024 * 1024)} MiB`;

/** True when the command exited 0 and nothing cut it short. */
export function succeeded(result: ExecResult): boolean {
  return result.exitCode === 0 && !result.timedOut && !result.stalled && !result.cancelled;
}

/** Why it failed: `timed out (--command-timeout)`, its stderr (which names the cause), else its exit status. */
export function whyFailed(result: ExecResult): string {
  if (result.stalled) return 'stalled: no data moved for longer than --transfer-stall-timeout';
  if (result.timedOut) return 'timed out (--command-timeout)';
  if (result.cancelled) return 'cancelled';
  const stderr = result.stderrTail.trim();
  if (stderr) return stderr;
  return result.exitCode !== null ? `exit ${result.exitCode}` : result.signal ? `killed by signal ${result.signal}` : 'ended without an exit status';
}

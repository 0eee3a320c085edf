// The one place where failures become text for the operator and an exit status (BBR's bitmask).
import { BbrError, CancelledError, CleanupError, DrainError, exitCodeOf, hintOf, UnlockError } from '../errors.js';

export interface ExitReport {
  exitCode: number;
  /** What goes to stderr: numbered errors, each with what to do next, then an optional footer. */
  text: string;
}

export function reportFailures(failures: readonly unknown[], options: { cleanupCommand?: string } = {}): ExitReport {
  if (failures.length === 0) return { exitCode: 0, text: '' };
  const lines: string[] = [`${failures.length} error(s) occurred:`];
  failures.forEach((failure, i) => {
    lines.push(`error ${i + 1}: ${messageOf(failure)}`);
    const hint = hintOf(failure);
    if (hint) lines.push(`  next step: ${hint}`);
  });
  // BBR compat: after unlock, cleanup or drain failures, recommend the cleanup command (cli/command/utils.go);
  // BBR also prints it when the operator interrupts a run.
  const needsCleanup = failures.some(
    (f) => f instanceof UnlockError || f instanceof CleanupError || f instanceof DrainError || f instanceof CancelledError,
  );
  if (needsCleanup && options.cleanupCommand) {
    lines.push('', `It is recommended that you run \`${options.cleanupCommand}\` to ensure that any temp files are cleaned up and all jobs are unlocked.`);
  }
  return { exitCode: exitCodeOf(failures), text: lines.join('\n') + '\n' };
}

function messageOf(failure: unknown): string {
  if (failure instanceof BbrError) return failure.message;
  // Not one of ours: a bug. Say so plainly; the stack goes to the debug log, not to the operator.
  const message = failure instanceof Error ? failure.message : String(failure);
  return `internal error: ${message} (this is a bug in bbr-ts; rerun with --debug and report it)`;
}

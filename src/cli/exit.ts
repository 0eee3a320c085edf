// The one place where failures become text for the operator and an exit status (BBR's bitmask).
import { BbrError, CancelledError, CleanupError, DrainError, ExitBit, exitCodeOf, hintOf, remedyOf, UnlockError, type Remedy } from '../errors.js';
import { escapeLine, escapeLines } from '../report/escape.js';

export interface ExitReport {
  exitCode: number;
  /** What goes to stderr: numbered errors, each with what to do next, then an optional footer. */
  text: string;
}

export interface ReportOptions {
  /** The exact command that carries out a remedy for this run (its flags reach the same instances), to paste. */
  commandFor?: (remedy: Remedy) => string;
  /**
   * The run's own cleanup, recommended after unlock, cleanup and drain failures and interrupts as BBR does;
   * left out while nothing was connected (nothing can be locked or left on an instance yet).
   */
  cleanupAfterFailure?: Remedy;
}

export function reportFailures(failures: readonly unknown[], options: ReportOptions = {}): ExitReport {
  if (failures.length === 0) return { exitCode: 0, text: '' };
  const lines: string[] = [`${failures.length} error(s) occurred:`];
  failures.forEach((failure, i) => {
    lines.push(`error ${i + 1}: ${continued(messageOf(failure))}`);
    const hint = hintOf(failure);
    if (hint) lines.push(`  next step: ${continued(hint)}`);
  });
  for (const remedy of remediesOf(failures, options.cleanupAfterFailure)) {
    const command = options.commandFor ? `\`${escapeLine(options.commandFor(remedy))}\`` : `bbr-ts ${remedy} for this deployment`;
    lines.push('', `It is recommended that you run ${command} to ensure that any temp files are cleaned up and all jobs are unlocked.`);
  }
  return { exitCode: exitCodeOf(failures), text: lines.join('\n') + '\n' };
}

/** Each remedy a failure asks for (its hint says "the ... command below"), once, in the order they occurred. */
function remediesOf(failures: readonly unknown[], cleanupAfterFailure: Remedy | undefined): Remedy[] {
  const remedies = new Set<Remedy>();
  for (const failure of failures) {
    const remedy = remedyOf(failure);
    if (remedy) remedies.add(remedy);
  }
  // BBR compat: after unlock, cleanup or drain failures, recommend the cleanup command (cli/command/utils.go);
  // BBR also prints it when the operator interrupts a run.
  const bbrRecommends = failures.some(
    (f) => f instanceof UnlockError || f instanceof CleanupError || f instanceof DrainError || f instanceof CancelledError,
  );
  if (bbrRecommends && cleanupAfterFailure) remedies.add(cleanupAfterFailure);
  return [...remedies];
}

/**
 * Messages carry instance output (a script's stderr tail, a job name), so control characters are escaped,
 * and every continuation line starts at column 4 or deeper, right of our own "error N:" and "  next step:":
 * an instance cannot print a convincing line of either kind.
 */
function continued(text: string): string {
  return escapeLines(text)
    .split('\n')
    .map((line, i) => (i === 0 || line === '' || /^( {4}|\t)/.test(line) ? line : `    ${line}`))
    .join('\n');
}

function messageOf(failure: unknown): string {
  if (failure instanceof BbrError) return failure.message;
  // Not one of ours: a bug. Say so plainly; the stack goes to the debug log, not to the operator.
  const message = failure instanceof Error ? failure.message : String(failure);
  return `internal error: ${message} (this is a bug in bbr-ts; rerun with --debug and report it)`;
}

export const STALLED_RUN_MESSAGE =
  'internal error: the run stopped before it finished, with nothing left to wait for (this is a bug in bbr-ts; rerun with --debug and report it)';

/**
 * A run whose pending steps all wait on something that can never happen (a bug) lets Node's event loop empty
 * while main still awaits the run; Node then ends the process with status 0, as if the run had succeeded.
 * Until the returned `finished()` is called, an empty event loop ('beforeExit') is reported as an internal
 * error and ends the process with the generic failure bit.
 */
export function guardUnfinishedRun(
  proc: { once(event: 'beforeExit', listener: () => void): unknown; exit(code: number): void },
  stderr: { write(text: string): unknown },
): () => void {
  let done = false;
  proc.once('beforeExit', () => {
    if (done) return;
    stderr.write(`${STALLED_RUN_MESSAGE}\n`);
    proc.exit(ExitBit.generic);
  });
  return () => {
    done = true;
  };
}

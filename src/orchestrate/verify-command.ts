// Runs a drill's verification command (`--verify CMD`) through a command runner (an instance's, or the one
// its caller gives for this machine) and times it.
import type { CommandOutcome } from './instance.js';

/** Runs a command through `sh -c` somewhere; `instance.runCommand` is one, the CLI hands the drill a local one. */
export type CommandRunner = (command: string, options: { signal: AbortSignal; timeoutMs?: number }) => Promise<CommandOutcome>;

/** Where the verification runs: the runner, and its name for messages (`this machine` or `group/index`). */
export interface VerifyTarget {
  where: string;
  run: CommandRunner;
}

export interface VerifyResult {
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The last lines of its output (stdout and stderr), for the report. */
  outputTail: string;
  where: string;
}

export async function runVerifyCommand(
  command: string,
  target: VerifyTarget,
  options: { signal: AbortSignal; timeoutMs?: number },
): Promise<VerifyResult> {
  const started = Date.now();
  const result = await target.run(command, options);
  return {
    passed: result.exitCode === 0 && !result.timedOut && !result.cancelled,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: Date.now() - started,
    outputTail: result.outputTail,
    where: target.where,
  };
}

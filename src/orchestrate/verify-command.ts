// Runs a drill's verification command (`--verify CMD`) through `sh -c`, either here (execa) or on an
// instance as root over its existing SSH connection, and times it.
import { execa } from 'execa';
import { asRootShell } from '../contract/as-root.js';
import { lastLines, type RemoteShell } from '../ssh/index.js';

export type VerifyTarget = { kind: 'local' } | { kind: 'instance'; shell: RemoteShell };

export interface VerifyResult {
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The last lines of its output (stdout and stderr), for the report. */
  outputTail: string;
  where: string;
}

const OUTPUT_LINES = 20;

export async function runVerifyCommand(
  command: string,
  target: VerifyTarget,
  options: { signal: AbortSignal; timeoutMs?: number },
): Promise<VerifyResult> {
  const started = Date.now();
  if (target.kind === 'local') {
    const result = await execa('sh', ['-c', command], {
      all: true,
      reject: false,
      stdin: 'ignore',
      cancelSignal: options.signal,
      timeout: options.timeoutMs,
      forceKillAfterDelay: 2000,
    });
    const exitCode = result.exitCode ?? null;
    return {
      passed: exitCode === 0 && !result.timedOut,
      exitCode,
      timedOut: result.timedOut,
      durationMs: Date.now() - started,
      outputTail: lastLines(result.all ?? result.originalMessage ?? '', OUTPUT_LINES),
      where: 'this machine',
    };
  }
  const { shell } = target;
  const result = await shell.exec(asRootShell(shell, command), { signal: options.signal, timeoutMs: options.timeoutMs ?? null });
  const output = [result.stdout, result.stderrTail].filter((text) => text.trim() !== '').join('\n');
  return {
    passed: result.exitCode === 0 && !result.timedOut && !result.cancelled,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: Date.now() - started,
    outputTail: lastLines(output, OUTPUT_LINES),
    where: shell.instance,
  };
}

// Runs one job script on an instance with the contract's environment, quoted; a failure becomes a
// ScriptError carrying instance, job, script, exit status and the tails of stdout and stderr.
import { ScriptError } from '../errors.js';
import { lastLines, type RemoteShell } from '../ssh/index.js';

/** How much of a script's stdout is captured (a longer output is cut, and flagged so). */
export { CAPTURE_LIMIT_TEXT } from '../ssh/index.js';
import { groupCommand } from './process-group.js';
import { scriptPath, type ScriptName } from './paths.js';

export interface RunScriptOptions {
  job: string;
  script: ScriptName;
  env?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** A directory to create (`mkdir -p`) right before the script, in the same remote command: one channel, not two. */
  createDirectory?: string;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** Per stream: enough to explain a failure, short enough to read next to the others. */
export const OUTPUT_TAIL_LINES = 20;

export interface ScriptOutput {
  stdout: string;
  /** stdout went past the capture cap and was cut: a caller that parses it must refuse. */
  stdoutTruncated: boolean;
  /** The script exited but left something running that holds its output open (see ExecResult). */
  outputHeldOpen: boolean;
}

/** Runs the script; resolves with its output, rejects with ScriptError on any failure. */
export async function runScript(shell: RemoteShell, options: RunScriptOptions): Promise<ScriptOutput> {
  const script = scriptPath(options.job, options.script);
  const group = groupCommand(shell, [script], { env: options.env, createDirectory: options.createDirectory });
  const result = await shell.exec(group.command, {
    signal: options.signal,
    // BBR puts no limit on a job script; --script-timeout is the operator's choice.
    timeoutMs: options.timeoutMs ?? null,
    stop: group.stop,
    onStdout: (chunk) => options.onOutput?.('stdout', chunk),
    onStderr: (chunk) => options.onOutput?.('stderr', chunk),
  });
  if (result.exitCode === 0 && !result.timedOut && !result.cancelled) {
    return { stdout: result.stdout, stdoutTruncated: result.stdoutTruncated, outputHeldOpen: result.outputHeldOpen };
  }
  throw new ScriptError({
    instance: shell.instance,
    job: options.job,
    script: options.script,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    stdoutTail: lastLines(result.stdoutTail, OUTPUT_TAIL_LINES),
    stderrTail: lastLines(withoutWrapperNoise(result.stderrTail), OUTPUT_TAIL_LINES),
  }, { hint: scriptHint(shell.instance, options, result) });
}

/** A script counts as finished when it exits; this says so when something it left behind still held its output. */
export function outputHeldOpenWarning(instance: string, job: string, script: ScriptName): string {
  return (
    `${script} script of job '${job}' on ${instance} exited, but a process it started still holds its output open; ` +
    'bbr-ts took the exit status and stopped waiting (redirect the output of background processes, e.g. >/dev/null 2>&1)'
  );
}

/** `setsid -w` reports a child killed by a signal; the ScriptError already says so in words. */
function withoutWrapperNoise(stderr: string): string {
  return stderr.replace(/^setsid: child \d+ did not exit normally.*\n?/gm, '');
}

function scriptHint(instance: string, options: RunScriptOptions, result: { timedOut: boolean; cancelled: boolean; exitCode: number | null; signal: string | null }): string | undefined {
  if (result.cancelled) return undefined;
  const where = `${scriptPath(options.job, options.script)} on ${instance}`;
  if (result.timedOut) return `find out why ${where} runs this long (job logs under /var/vcap/sys/log/${options.job}/), or raise --script-timeout`;
  if (result.exitCode === null && result.signal === null) return `check that ${instance} is up and reachable; ${where} may not have finished`;
  return `see the output above and the job's logs under /var/vcap/sys/log/${options.job}/ on ${instance}; fix the cause, then run the command again`;
}

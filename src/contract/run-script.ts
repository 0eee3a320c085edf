// Runs one job script on an instance with the contract's environment, quoted; a failure becomes a
// ScriptError carrying instance, job, script, exit status and the tail of stderr.
import { ScriptError } from '../errors.js';
import { lastLines, withEnv, type RemoteShell } from '../ssh/index.js';
import { asRoot } from './as-root.js';
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

export const STDERR_TAIL_LINES = 20;

// `sh -c` program: $1 is the directory, the rest is the script's argv (which then replaces the shell).
const MKDIR_THEN_EXEC = 'mkdir -p -- "$1" && shift && exec "$@"';

/** Runs the script; resolves with its stdout, rejects with ScriptError on any failure. */
export async function runScript(shell: RemoteShell, options: RunScriptOptions): Promise<string> {
  const script = scriptPath(options.job, options.script);
  const argv = options.createDirectory === undefined ? [script] : ['sh', '-c', MKDIR_THEN_EXEC, 'sh', options.createDirectory, script];
  const command = asRoot(shell, withEnv(options.env ?? {}, argv));
  const result = await shell.exec(command, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onStdout: (chunk) => options.onOutput?.('stdout', chunk),
    onStderr: (chunk) => options.onOutput?.('stderr', chunk),
  });
  if (result.exitCode === 0 && !result.timedOut && !result.cancelled) return result.stdout;
  throw new ScriptError({
    instance: shell.instance,
    job: options.job,
    script: options.script,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    stderrTail: lastLines(result.stderrTail, STDERR_TAIL_LINES),
  });
}

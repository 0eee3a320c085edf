// Runs one job script on this machine the way BBR runs it on a VM: directly (no shell, so the shebang
// matters), as the current user, with sudo's reset environment plus the contract's variables, and with
// pipes as stdout and stderr, as sshd gives them (output-pipes.ts).
import { finished } from 'node:stream/promises';
import { execa } from 'execa';
import { TailBuffer } from '../ssh/tail-buffer.js';
import { openOutputPipes } from './output-pipes.js';
import type { ScriptStep } from './types.js';

export interface LocalRunOptions {
  /** Contract variables for this script (BBR_ARTIFACT_DIRECTORY, ...). */
  env: Record<string, string>;
  /** Operator-provided stand-ins for what rendered templates point at (`--env NAME=VALUE`). */
  extraEnv: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  signal: AbortSignal;
}

const OUTPUT_LIMIT_CHARS = 64 * 1024;
const OUTPUT_LIMIT_BYTES = 4 * OUTPUT_LIMIT_CHARS;
const STDOUT_LIMIT_BYTES = 1024 * 1024;
/** How long to keep reading after the script exited, when a process it left behind holds its output open. */
const DRAIN_GRACE_MS = 2000;

// sudo's env_reset keeps little more than these; a script that needs more of the operator's environment
// works on a laptop and fails on the VM, so we don't pass it.
const SUDO_LIKE_ENV = ['PATH', 'HOME', 'LANG', 'TERM', 'USER', 'LOGNAME', 'SHELL'];

export interface LocalRun {
  step: ScriptStep;
  /** stdout alone (what BBR parses from `metadata`), capped like the output. */
  stdout: string;
}

export async function runLocalScript(file: string, options: LocalRunOptions): Promise<LocalRun> {
  const base: Record<string, string> = {};
  for (const name of SUDO_LIKE_ENV) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  const pipes = await openOutputPipes();
  // Both streams in arrival order (what a person reads), and stdout alone (what BBR parses from metadata).
  const output = new TailBuffer(OUTPUT_LIMIT_BYTES);
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  pipes.stdout.reader.on('data', (chunk: Buffer) => {
    output.push(chunk);
    if (stdoutBytes < STDOUT_LIMIT_BYTES) stdout.push(chunk);
    stdoutBytes += chunk.length;
  });
  pipes.stderr.reader.on('data', (chunk: Buffer) => output.push(chunk));
  const drained = Promise.all([pipes.stdout.reader, pipes.stderr.reader].map((reader) => finished(reader).catch(() => undefined)));
  const started = performance.now();
  let result;
  let durationMs = 0;
  try {
    const subprocess = execa(file, [], {
      env: { ...base, ...options.extraEnv, ...options.env },
      extendEnv: false,
      cwd: options.cwd,
      reject: false,
      stdin: 'ignore',
      // execa's types list only fds up to 9; any open fd is handed to child_process.spawn as it is.
      stdout: pipes.stdout.writeFd as 9,
      stderr: pipes.stderr.writeFd as 9,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      forceKillAfterDelay: 2000,
    });
    // The child has its copies now; ours would keep the readers from ever ending.
    pipes.closeWriteEnds();
    result = await subprocess;
    durationMs = Math.round(performance.now() - started);
    // Output still in the pipes is read to the end, unless something the script left running holds them open.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_GRACE_MS)))]);
    clearTimeout(timer);
  } finally {
    pipes.destroy();
  }
  // When the file could not even be started (EACCES, ENOEXEC), execa has no output; its message says why.
  const spawnFailure = result.failed && result.exitCode === undefined && !result.timedOut && !result.isCanceled && !result.signal;
  const text = spawnFailure ? (result.originalMessage || result.shortMessage || 'could not start') : output.toString();
  const step: ScriptStep = {
    durationMs,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut,
    output: cap(text),
    env: options.env,
  };
  return { step, stdout: spawnFailure ? '' : Buffer.concat(stdout).subarray(0, STDOUT_LIMIT_BYTES).toString('utf8') };
}

function cap(text: string): string {
  return text.length > OUTPUT_LIMIT_CHARS ? `…${text.slice(-OUTPUT_LIMIT_CHARS)}` : text;
}

export function stepSucceeded(step: ScriptStep): boolean {
  return step.exitCode === 0 && !step.timedOut;
}

/** "exited with status 3", "timed out", "could not start": for check messages. */
export function describeStep(step: ScriptStep): string {
  if (step.timedOut) return 'timed out';
  if (step.exitCode !== null) return step.exitCode === 0 ? 'succeeded' : `exited with status ${step.exitCode}`;
  if (step.signal) return `was killed by ${step.signal}`;
  return 'could not be started';
}

// Runs one job script on this machine the way BBR runs it on a VM: directly (no shell, so the shebang
// matters), as the current user, with sudo's reset environment plus the contract's variables.
import { execa } from 'execa';
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
  const started = performance.now();
  const result = await execa(file, [], {
    env: { ...base, ...options.extraEnv, ...options.env },
    extendEnv: false,
    cwd: options.cwd,
    all: true,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    maxBuffer: 1024 * 1024,
  });
  const durationMs = Math.round(performance.now() - started);
  // When the file could not even be started (EACCES, ENOEXEC), execa has no output; its message says why.
  const spawnFailure = result.failed && result.exitCode === undefined && !result.timedOut && !result.isCanceled && !result.signal;
  const output = spawnFailure ? (result.originalMessage || result.shortMessage || 'could not start') : (result.all ?? '');
  const step: ScriptStep = {
    durationMs,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut,
    output: cap(output),
    env: options.env,
  };
  return { step, stdout: spawnFailure ? '' : cap(result.stdout ?? '') };
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

// Runs the built bbr-ts binary as a subprocess, as an operator would (the e2e global setup builds it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(REPO_ROOT, 'bin', 'bbr-ts.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runBbrTs(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    reject: false,
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...options.env, NO_COLOR: '1' },
    timeout: options.timeoutMs ?? 120_000,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the built binary without waiting, for tests that signal it while it runs. */
export function startBbrTs(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}) {
  return execa('node', [BIN, ...args], {
    reject: false,
    cwd: REPO_ROOT,
    env: { ...options.env, NO_COLOR: '1' },
    timeout: options.timeoutMs ?? 120_000,
    stdin: 'ignore',
  });
}

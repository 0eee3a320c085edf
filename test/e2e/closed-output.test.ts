// An operator's terminal or the pipe bbr-ts writes into can go away mid-run (an ssh session dropped, `| head`).
// Writing to it then fails with EPIPE; that must neither loop nor kill the run: it ends with its own exit code.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT } from '../support/cli.js';

describe('closed stdout and stderr', () => {
  it('a run whose output pipes were closed by the reader still ends, with its exit code', async () => {
    const child = spawn('node', [BIN, 'artifact', 'verify', '/nonexistent/bbr-ts-closed-output'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the child writes anything: every write it makes fails with EPIPE.
    child.stdout.destroy();
    child.stderr.destroy();
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(killer);
    // Killed by the fallback timer means it never ended on its own (it looped on EPIPE before the fix).
    expect(signal).toBeNull();
    expect(code).toBe(1);
  }, 60_000);
});

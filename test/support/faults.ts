// Helpers for fault-injection e2e tests: wait for what an instance records, look for leftover processes, make
// an instance's programs misbehave.
import { chmod, copyFile, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Fleet, FleetEvent } from '../../fixtures/fleet/fleet.mjs';

/** Polls until `predicate` holds for the instance's event log (fails after `timeoutMs`). */
export async function waitForEvent(fleet: Fleet, instance: string, predicate: (e: FleetEvent) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await fleet.events(instance)).some(predicate)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for an event on ${instance}`);
}

/** Polls until the file exists and has at least `bytes` bytes. */
export async function waitForFileSize(file: () => Promise<string | undefined>, bytes: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await file();
    if (found && ((await stat(found).catch(() => undefined))?.size ?? 0) >= bytes) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for a file to grow to ${bytes} bytes`);
}

/** Pids of processes whose argv is exactly `argv` (used to prove a remote `sleep <unique n>` is gone). */
export async function pidsRunning(argv: string[]): Promise<number[]> {
  const wanted = argv.join('\0');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(path.join('/proc', entry, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline.replace(/\0$/, '') === wanted) pids.push(Number(entry));
  }
  return pids;
}

/** Lines of the instance's event log for one script, as `job script key=value...` for readable failures. */
export async function scriptsRun(fleet: Fleet, instance: string): Promise<string[]> {
  return (await fleet.events(instance)).filter((e) => e.script !== 'metadata').map((e) => e.script);
}

/**
 * Replaces a program inside one instance's own mount namespace only (its sshd runs under `unshare -m`): a
 * hostile or broken instance whose `tar`, `du` or `find` misbehaves. The fake is a shell script; the host and the
 * other instances keep the real program. Returns a function that puts the real one back.
 */
export async function replaceProgram(fleet: Fleet, instance: string, program: string, script: string): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-fake-'));
  const fake = path.join(dir, path.basename(program));
  await writeFile(fake, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const pid = String(fleet.instance(instance).pid);
  await execa('nsenter', ['-t', pid, '-m', 'mount', '--bind', fake, program]);
  return async () => {
    await execa('nsenter', ['-t', pid, '-m', 'umount', program]);
  };
}

/** A copy of a real program outside the paths a fake may cover, for a fake that wraps the real one. */
export async function copyOfProgram(program: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-real-'));
  const copy = path.join(dir, `real-${path.basename(program)}`);
  await copyFile(program, copy);
  await chmod(copy, 0o755);
  return copy;
}

/** Kills the processes whose argv is exactly `argv` (what a test left running on purpose), by pid. */
export async function killRunning(argv: string[]): Promise<void> {
  for (const pid of await pidsRunning(argv)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

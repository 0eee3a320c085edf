// Helpers for fault-injection e2e tests: wait for what an instance records, look for leftover processes.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
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

// Issue 16: two runs of one deployment never overlap. A backup holds `.bbr-ts-<deployment>.lock` in its artifact
// path; a second backup is refused before it connects anywhere, naming the running one; a lock left by a killed
// run is reported and taken over. Real backups against the example fleet on 127.0.71.21-23.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { waitForEvent } from '../support/faults.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.71', (started) => ({ fleet, flags } = started));

const lockFile = (artifacts: string) => path.join(artifacts, '.bbr-ts-example.lock');

/** The backup script of database/0 waits (bounded) until the test opens the gate: the first run stays in flight. */
async function holdBackupAtGate(artifacts: string): Promise<string> {
  const gate = path.join(artifacts, '..', `gate-${path.basename(artifacts)}`);
  await fleet.setFault('database/0', 'database', 'backup', `i=0; while [ ! -e '${gate}' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done`);
  return gate;
}

describe('one run per deployment', () => {
  it('a second backup of the deployment is refused before connecting, naming the running one', async () => {
    const artifacts = await tempArtifactsDir();
    const gate = await holdBackupAtGate(artifacts);
    const first = startBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    const holder = JSON.parse(await readFile(lockFile(artifacts), 'utf8')) as { pid: number; host: string };
    expect(holder).toMatchObject({ pid: first.pid, host: os.hostname() });

    await fleet.clearEvents();
    const second = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`another run of deployment "example" is going on: bbr-ts pid ${first.pid} on host "${os.hostname()}"`);
    expect(second.stderr).toContain(lockFile(artifacts));
    expect(second.stderr).toContain('next step: wait for it to finish');
    // Refused before connecting: no instance ran anything for the second run (not even `metadata`).
    for (const instance of fleet.instances) expect(await fleet.events(instance.name), instance.name).toEqual([]);

    await writeFile(gate, '');
    const result = await first;
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    // The lock is gone with the run, and there is one backup.
    expect(existsSync(lockFile(artifacts))).toBe(false);
    expect((await readdir(artifacts)).filter((n) => n.startsWith('example_'))).toHaveLength(1);
  });

  it('a lock left by a killed run is reported and taken over', async () => {
    const artifacts = await tempArtifactsDir();
    const gate = await holdBackupAtGate(artifacts);
    const killed = startBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    killed.kill('SIGKILL');
    await killed;
    await writeFile(gate, '');
    expect(JSON.parse(await readFile(lockFile(artifacts), 'utf8'))).toMatchObject({ pid: killed.pid });
    // What the killed run left on the instances is cleaned up as BBR advises (cleanup takes no run lock).
    await fleet.clearFaults();
    expect((await runBbrTs(['deployment', ...flags, 'backup-cleanup'])).exitCode).toBe(0);

    const next = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    expect(next.stderr).toContain(`warning: bbr-ts pid ${killed.pid} on host "${os.hostname()}"`);
    expect(next.stderr).toContain('left its lock');
    expect(next.stderr).toContain('no longer runs: taking it over');
    expect(next.exitCode).toBe(0);
    expect(existsSync(lockFile(artifacts))).toBe(false);
  });

  it('a pid now used by another process does not hold the lock (its start time differs)', async () => {
    const artifacts = await tempArtifactsDir();
    // This test's own process is alive, but it is not the process that wrote the lock.
    const stale = { pid: process.pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', deployment: 'example', processStart: '1' };
    await writeFile(lockFile(artifacts), JSON.stringify(stale) + '\n');
    const run = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    expect(run.stderr).toContain(`warning: bbr-ts pid ${process.pid}`);
    expect(run.exitCode).toBe(0);
  });

  it('a lock from another host is never assumed stale: refused, with how to clear it', async () => {
    const artifacts = await tempArtifactsDir();
    const other = { pid: 1, host: 'backup-vm-2', startedAt: '2026-01-01T00:00:00.000Z', deployment: 'example' };
    await writeFile(lockFile(artifacts), JSON.stringify(other) + '\n');
    await fleet.clearEvents();
    const run = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('bbr-ts pid 1 on host "backup-vm-2", started 2026-01-01T00:00:00.000Z');
    expect(run.stderr).toContain(`if that process no longer runs on "backup-vm-2", remove ${lockFile(artifacts)}`);
    for (const instance of fleet.instances) expect(await fleet.events(instance.name)).toEqual([]);
    // The other host's lock is left as it was.
    expect(JSON.parse(await readFile(lockFile(artifacts), 'utf8'))).toEqual(other);
  });

  it('an unreadable lock file is refused, not overwritten', async () => {
    const artifacts = await tempArtifactsDir();
    await writeFile(lockFile(artifacts), 'garbage');
    const run = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('exists but does not say who holds it');
    expect(await readFile(lockFile(artifacts), 'utf8')).toBe('garbage');
    await execa('rm', [lockFile(artifacts)]);
  });
});

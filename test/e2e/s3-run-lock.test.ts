// Issue 16 in object storage: two backups of one deployment into one s3:// location never overlap. Each run
// holds a lock object under `<prefix>/.bbr-ts-locks/<deployment>/` (artifact/s3-run-lock.ts); a second run is
// refused before it connects anywhere, naming the running one; a lock left by a killed run is reported and
// taken over; the lock object is gone after the run whatever its end. Real backups of the example fleet on
// 127.0.81.21-23 into a real S3 server (Swift + s3api) on 127.0.82.1.
import os from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { waitForEvent } from '../support/faults.js';
import { startS3Server, swiftInstalled, type S3Server } from '../support/s3-server.js';

let fleet: Fleet;
let flags: string[];
let s3: S3Server;
const BUCKET = 'locks';

useExampleFleet('127.0.81', (started) => ({ fleet, flags } = started));

beforeAll(async () => {
  if (!swiftInstalled()) throw new Error('swift-proxy-server is missing: scripts/test.sh installs the swift packages');
  s3 = await startS3Server({ ip: '127.0.82.1' });
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  await s3?.stop();
});

const lockKeys = async (prefix: string) => (await s3.list(BUCKET, `${prefix}/.bbr-ts-locks/`)).map((o) => o.key);
const backupArgs = (prefix: string) => ['deployment', ...flags, 'backup', '-a', `s3://${BUCKET}/${prefix}`, ...s3.flags];
const running: ReturnType<typeof startBbrTs>[] = [];
const start = (prefix: string) => {
  const child = startBbrTs(backupArgs(prefix), { env: s3.env() });
  running.push(child);
  return child;
};
// A test that fails half-way must not leave a run behind (it would outlive the fleet and the S3 server).
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await child;
  }
});
const run = (prefix: string) => runBbrTs(backupArgs(prefix), { env: s3.env() });

/** database/0's backup script waits (bounded) for the test to open the gate: the run stays in flight. */
async function holdBackupAtGate(): Promise<() => Promise<void>> {
  const gate = path.join(await tempArtifactsDir('bbr-ts-gate-'), 'open');
  await fleet.setFault('database/0', 'database', 'backup', `i=0; while [ ! -e '${gate}' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done`);
  return () => writeFile(gate, '');
}

async function backupsUnder(prefix: string): Promise<string[]> {
  const names = (await s3.list(BUCKET, `${prefix}/`)).map((o) => o.key.slice(prefix.length + 1)).filter((k) => k.endsWith('/metadata'));
  return names.map((k) => k.split('/')[0]!);
}

describe('one run per deployment in object storage', () => {
  it('a second backup into the same s3:// path is refused at once, before connecting, naming the running one', async () => {
    const open = await holdBackupAtGate();
    const first = start('two');
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    const held = await lockKeys('two');
    expect(held).toEqual([expect.stringMatching(/^two\/\.bbr-ts-locks\/example\/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.json$/)]);
    expect(JSON.parse((await s3.get(BUCKET, held[0]!)).toString())).toMatchObject({ pid: first.pid, host: os.hostname(), deployment: 'example', ttlSeconds: 300 });

    await fleet.clearEvents();
    const second = await run('two');
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`another run of deployment "example" is going on: bbr-ts pid ${first.pid} on host "${os.hostname()}"`);
    expect(second.stderr).toContain(`holds s3://${BUCKET}/${held[0]}`);
    expect(second.stderr).toContain('next step: wait for it to finish');
    // Refused before connecting: no instance ran anything for the second run (not even `metadata`).
    for (const instance of fleet.instances) expect(await fleet.events(instance.name), instance.name).toEqual([]);
    // The refused run withdrew its own lock object.
    expect(await lockKeys('two')).toEqual(held);

    await open();
    const result = await first;
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(await lockKeys('two')).toEqual([]);
    expect(await backupsUnder('two')).toHaveLength(1);
    await fleet.clearFaults();
  });

  it('two backups started together: exactly one runs, the other is refused naming it', async () => {
    const open = await holdBackupAtGate();
    const [a, b] = [start('together'), start('together')];
    // One of them gets to the backup script and waits at the gate; the other ends, refused, on its own.
    const firstDone = await Promise.race([a.then(() => 0), b.then(() => 1)]);
    const refused = await (firstDone === 0 ? a : b);
    const runner = firstDone === 0 ? b : a;
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`another run of deployment "example" is going on: bbr-ts pid ${runner.pid} on host "${os.hostname()}"`);
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    await open();
    const ran = await runner;
    expect(ran.exitCode).toBe(0);
    expect(await lockKeys('together')).toEqual([]);
    expect(await backupsUnder('together')).toHaveLength(1);
    await fleet.clearFaults();
  });

  it('a lock object left by a killed run is reported and taken over; one without a heartbeat for its ttl too', async () => {
    const open = await holdBackupAtGate();
    const killed = start('stale');
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    killed.kill('SIGKILL');
    await killed;
    await open();
    const [left] = await lockKeys('stale');
    expect(left).toBeDefined();
    // What the killed run left on the instances is cleaned up as BBR advises (cleanup takes no run lock).
    await fleet.clearFaults();
    expect((await runBbrTs(['deployment', ...flags, 'backup-cleanup'])).exitCode).toBe(0);

    // A lock of another host whose heartbeat stopped: its 1 s ttl has passed on the server's clock.
    const expired = 'stale/.bbr-ts-locks/example/20260101T000000.000Z-00000000000000aa.json';
    await s3.put(BUCKET, expired, JSON.stringify({ pid: 7, host: 'backup-vm-2', startedAt: '2026-01-01T00:00:00.000Z', deployment: 'example', ttlSeconds: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 2500));

    const next = await run('stale');
    expect(next.stderr).toContain(`warning: bbr-ts pid ${killed.pid} on host "${os.hostname()}"`);
    expect(next.stderr).toContain(`left its run lock s3://${BUCKET}/${left} behind (its process no longer runs): removing it`);
    expect(next.stderr).toContain(`warning: bbr-ts pid 7 on host "backup-vm-2", started 2026-01-01T00:00:00.000Z left its run lock s3://${BUCKET}/${expired} behind (its last heartbeat was at`);
    expect(next.exitCode).toBe(0);
    expect(await lockKeys('stale')).toEqual([]);
  });

  it('a live lock of another host is refused with how to clear it, and left as it was', async () => {
    const other = 'foreign/.bbr-ts-locks/example/20260101T000000.000Z-00000000000000aa.json';
    const body = JSON.stringify({ pid: 1, host: 'backup-vm-2', startedAt: '2026-01-01T00:00:00.000Z', deployment: 'example', ttlSeconds: 300 });
    await s3.put(BUCKET, other, body);
    await fleet.clearEvents();
    const refused = await run('foreign');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('bbr-ts pid 1 on host "backup-vm-2", started 2026-01-01T00:00:00.000Z');
    expect(refused.stderr).toContain(`if that process no longer runs on "backup-vm-2", it expires 300 s after its last heartbeat`);
    expect(refused.stderr).toContain(`remove it (aws s3 rm s3://${BUCKET}/${other})`);
    for (const instance of fleet.instances) expect(await fleet.events(instance.name)).toEqual([]);
    expect(await lockKeys('foreign')).toEqual([other]);
    expect((await s3.get(BUCKET, other)).toString()).toBe(body);
  });

  it('the lock object is gone after a failed run and after Ctrl-C', async () => {
    await fleet.setFault('web/0', 'web-server', 'backup', 'echo broken >&2; exit 3');
    const failed = await run('ends');
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain('broken');
    expect(await lockKeys('ends')).toEqual([]);
    await fleet.clearFaults();

    await fleet.setFault('database/0', 'database', 'backup', 'sleep 6081');
    await fleet.clearEvents();
    const interrupted = start('ends');
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    expect(await lockKeys('ends')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    interrupted.kill('SIGINT');
    const result = await interrupted;
    expect(result.stderr).toMatch(/SIGINT received: stopping/);
    expect(result.exitCode).not.toBe(0);
    expect(await lockKeys('ends')).toEqual([]);
    await fleet.clearFaults();
  });
});

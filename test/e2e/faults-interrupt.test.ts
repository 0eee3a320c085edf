// Issue 4, faults that stop a run half-way, against real sshd instances (127.0.14.21-23): the operator's
// Ctrl-C while a backup script sleeps, a script that outlives --script-timeout, an instance that dies mid-drain.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { pidsRunning, waitForEvent, waitForFileSize } from '../support/faults.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.14', (started) => ({ fleet, flags } = started));

const artifactsDir = () => tempArtifactsDir('bbr-ts-faults-');

/** Every instance ran post-backup-unlock with successful=false and holds no lock file. */
async function expectUnlockedAfterFailure(): Promise<void> {
  for (const instance of fleet.instances) {
    const unlocks = (await fleet.events(instance.name)).filter((e) => e.script === 'post-backup-unlock');
    expect(unlocks.map((e) => e.fields.successful), instance.name).toEqual(['false']);
    expect(existsSync(path.join(instance.dir, 'sys', 'run', `${instance.jobs[0]}.locked`)), instance.name).toBe(false);
  }
}

describe('interrupting a backup', () => {
  it('on SIGINT cancels the running script, unlocks every job, keeps no complete artifact and exits non-zero', async () => {
    await fleet.setFault('database/0', 'database', 'backup', 'sleep 6004');
    const target = await artifactsDir();
    const run = startBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    // Give the shell a moment to reach `sleep` (the event is written just before the fault is sourced).
    await new Promise((r) => setTimeout(r, 300));
    run.kill('SIGINT');
    const result = await run;

    expect(result.exitCode).not.toBe(0);
    expect((result.exitCode ?? 0) & 1).toBe(1);
    expect(result.stderr).toMatch(/SIGINT received: stopping/);
    expect(result.stderr).toMatch(/interrupted by the operator/);
    expect(result.stderr).toMatch(/interrupted by the operator, which stopped the backup script of job 'database' on database\/0/);
    expect(result.stderr).toMatch(/bbr-ts deployment .* backup-cleanup/);
    await expectUnlockedAfterFailure();
    expect(await readdir(target)).toEqual([expect.stringMatching(/^example_\d{8}T\d{6}Z\.failed$/)]);
    for (const instance of fleet.instances) expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup'))).toBe(false);
    // The remote script was really stopped, not just abandoned.
    expect(await pidsRunning(['sleep', '6004'])).toEqual([]);
  });

  it('warns on a second signal during unlock and abandons unlock only on a third (no terminal)', async () => {
    await fleet.setFault('database/0', 'database', 'backup', 'sleep 6024');
    await fleet.setFault('database/0', 'database', 'post-backup-unlock', 'sleep 6025');
    const target = await artifactsDir();
    const run = startBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    await new Promise((r) => setTimeout(r, 300));
    run.kill('SIGINT');
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'post-backup-unlock');
    run.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    run.kill('SIGINT');
    const result = await run;

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/WARNING: abandoning now may leave jobs LOCKED/);
    expect(result.stderr).toMatch(/Press Ctrl-C once more to abandon unlock anyway/);
    expect(result.stderr).toMatch(/Abandoning unlock and cleanup/);
    // database's unlock was cut short, so it is still locked, and the operator is told so and what to run.
    expect(existsSync(path.join(fleet.instance('database/0').dir, 'sys', 'run', 'database.locked'))).toBe(true);
    expect(result.stderr).toMatch(/job 'database' on database\/0 may still be LOCKED/);
    expect(result.stderr).toMatch(/backup-cleanup/);
    expect(await readdir(target)).toEqual([expect.stringMatching(/\.failed$/)]);
    expect(await pidsRunning(['sleep', '6025'])).toEqual([]);
    await fleet.clearFaults();
    expect((await runBbrTs(['deployment', ...flags, 'backup-cleanup'])).exitCode).toBe(0);
    expect(existsSync(path.join(fleet.instance('database/0').dir, 'sys', 'run', 'database.locked'))).toBe(false);
  });

  it('stops a script that outlives --script-timeout, reports it as timed out and still unlocks', async () => {
    await fleet.setFault('web/1', 'web-server', 'backup', 'sleep 6014');
    const target = await artifactsDir();
    const result = await runBbrTs(['deployment', ...flags, '--script-timeout', '2', 'backup', '-a', target]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/error 1: backup script of job 'web-server' on web\/1 timed out/);
    await expectUnlockedAfterFailure();
    expect(await readdir(target)).toEqual([expect.stringMatching(/\.failed$/)]);
    expect(await pidsRunning(['sleep', '6014'])).toEqual([]);
  });
});

describe('an instance dying mid-drain', () => {
  it('names the instance, advises backup-cleanup, and drains the others', async () => {
    // A big artifact on database/0 so the drain is still running when its instance dies.
    await fleet.setFault('database/0', 'database', 'backup', 'mkdir -p "$BBR_ARTIFACT_DIRECTORY"; head -c 400000000 /dev/zero >"$BBR_ARTIFACT_DIRECTORY/big.bin"');
    const target = await artifactsDir();
    const run = startBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    const tarFile = async () => {
      const [dir] = (await readdir(target)).filter((d) => d.endsWith('.partial'));
      return dir && path.join(target, dir, 'database-0-database.tar');
    };
    await waitForFileSize(tarFile, 1);
    // Freeze bbr-ts so the transfer cannot finish before the crash; the instance dies while it is stopped.
    run.kill('SIGSTOP');
    try {
      fleet.instance('database/0').crash();
    } finally {
      run.kill('SIGCONT');
    }
    const result = await run;

    expect(result.exitCode).toBe(1 | 16);
    expect(result.stderr).toMatch(/draining the artifact of job 'database' on database\/0 failed: connection to database\/0 .* lost/);
    expect(result.stderr).toMatch(/failed to remove \/var\/vcap\/store\/bbr-backup on instance database\/0/);
    expect(result.stderr).toMatch(/It is recommended that you run `bbr-ts deployment .* backup-cleanup`/);
    expect(result.stderr).not.toMatch(/web\/[01]/);
    for (const web of ['web/0', 'web/1']) {
      expect((await fleet.events(web)).filter((e) => e.script === 'post-backup-unlock').map((e) => e.fields.successful)).toEqual(['true']);
      expect(existsSync(path.join(fleet.instance(web).dir, 'store', 'bbr-backup'))).toBe(false);
    }
    const [dir, ...others] = await readdir(target);
    expect(others).toEqual([]);
    expect(dir).toMatch(/\.failed$/);
    expect((await readdir(path.join(target, dir!))).sort()).toEqual(expect.arrayContaining(['web-0-web-server.tar', 'web-1-web-server.tar']));

    // Once the instance is back, backup-cleanup clears what the dead run left behind.
    await fleet.instance('database/0').restart();
    expect(existsSync(path.join(fleet.instance('database/0').dir, 'store', 'bbr-backup'))).toBe(true);
    const cleanup = await runBbrTs(['deployment', ...flags, 'backup-cleanup']);
    expect(cleanup.exitCode).toBe(0);
    expect(existsSync(path.join(fleet.instance('database/0').dir, 'store', 'bbr-backup'))).toBe(false);
  });
});

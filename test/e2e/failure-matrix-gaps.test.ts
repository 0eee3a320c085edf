// Rows of the failure matrix (test/unit/failure-matrix.test.ts) that had no end-to-end test against real sshd
// (127.0.83.21-23): a restore interrupted half-way, a restore whose final removal fails, and backup-cleanup /
// restore-cleanup whose removal fails. Broken instances get an `rm` that refuses the artifact root, bind-mounted
// inside that instance's own mount namespace only; the exit codes are BBR's (bbr-contract.md §1.5, §3.4, §3.5).
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { copyOfProgram, killRunning, pidsRunning, replaceProgram, scriptsRun, waitForEvent } from '../support/faults.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.83', (started) => ({ fleet, flags } = started));

let restorers: (() => Promise<void>)[] = [];
const leftovers: string[][] = [];
afterEach(async () => {
  for (const restore of restorers.reverse()) await restore();
  restorers = [];
  for (const argv of leftovers.splice(0)) await killRunning(argv);
  for (const instance of fleet.instances) {
    await rm(path.join(instance.dir, 'store', 'bbr-backup'), { recursive: true, force: true });
    for (const job of instance.jobs) await rm(path.join(instance.dir, 'sys', 'run', `${job}.locked`), { force: true });
  }
});

const run = (args: string[]) => runBbrTs(['deployment', ...flags, ...args], { timeoutMs: 90_000 });

const remoteRootOf = (instance: string) => path.join(fleet.instance(instance).dir, 'store', 'bbr-backup');
const lockFileOf = (instance: string) => path.join(fleet.instance(instance).dir, 'sys', 'run', `${fleet.instance(instance).jobs[0]}.locked`);

/** web/1's `rm` refuses to remove the artifact root (a busy mount, say); every other removal works. */
async function breakRemovalOnWeb1(): Promise<void> {
  const realRm = await copyOfProgram('/usr/bin/rm');
  const refuse = `echo "rm: cannot remove '/var/vcap/store/bbr-backup': Device or resource busy" >&2; exit 1`;
  restorers.push(await replaceProgram(fleet, 'web/1', '/usr/bin/rm', `case "$*" in *bbr-backup*) ${refuse};; esac\nexec ${realRm} "$@"`));
}

async function fixRemoval(): Promise<void> {
  for (const restore of restorers.splice(0).reverse()) await restore();
}

async function backupNow(): Promise<string> {
  const target = await tempArtifactsDir('bbr-ts-matrix-gaps-');
  const result = await run(['backup', '-a', target]);
  expect(result.exitCode, result.stderr).toBe(0);
  const [name] = await readdir(target);
  await fleet.clearEvents();
  return path.join(target, name!);
}

describe('restore, failure rows', () => {
  it('a Ctrl-C during a restore script stops it, restores nothing more, unlocks every locked job, removes the remote directories, exits 1', async () => {
    const artifact = await backupNow();
    // database/0 restores first, then web/0 (manifest order); web/0's restore hangs until it is stopped.
    await fleet.setFault('web/0', 'web-server', 'restore', 'sleep 6831');
    leftovers.push(['sleep', '6831']);
    const started = startBbrTs(['deployment', ...flags, 'restore', '-a', artifact], { timeoutMs: 90_000 });
    await waitForEvent(fleet, 'web/0', (e) => e.script === 'restore');
    // Give the shell a moment to reach `sleep` (the event is written just before the fault is sourced).
    await new Promise((r) => setTimeout(r, 300));
    started.kill('SIGINT');
    const result = await started;

    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/interrupted by the operator, which stopped the restore script of job 'web-server' on web\/0/);
    expect(result.stderr).toMatch(/interrupted by the operator/);
    expect(await scriptsRun(fleet, 'database/0')).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);
    expect(await scriptsRun(fleet, 'web/0')).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);
    expect(await scriptsRun(fleet, 'web/1')).toEqual(['pre-restore-lock', 'post-restore-unlock']);
    for (const instance of fleet.instances) {
      expect(existsSync(lockFileOf(instance.name)), instance.name).toBe(false);
      expect(existsSync(remoteRootOf(instance.name)), instance.name).toBe(false);
    }
    expect(await pidsRunning(['sleep', '6831'])).toEqual([]);
  });

  it('a restore whose final removal fails on one instance exits 16 after restoring and unlocking; restore-cleanup then clears it', async () => {
    const artifact = await backupNow();
    await breakRemovalOnWeb1();
    const result = await run(['restore', '-a', artifact]);

    expect(result.exitCode, result.stderr).toBe(16);
    expect(result.stderr).toMatch(/failed to remove \/var\/vcap\/store\/bbr-backup on instance web\/1: .*Device or resource busy/);
    for (const instance of fleet.instances) {
      expect(await scriptsRun(fleet, instance.name), instance.name).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);
      expect(existsSync(lockFileOf(instance.name)), instance.name).toBe(false);
    }
    expect(existsSync(remoteRootOf('web/1'))).toBe(true);
    expect(existsSync(remoteRootOf('web/0'))).toBe(false);

    await fixRemoval();
    const cleanup = await run(['restore-cleanup']);
    expect(cleanup.exitCode, cleanup.stderr).toBe(0);
    expect(existsSync(remoteRootOf('web/1'))).toBe(false);
  });
});

describe('backup-cleanup and restore-cleanup, failure rows', () => {
  it('a removal that fails exits 1 (generic, as BBR: not the cleanup bit 16) after unlocking every job; once fixed, a second run succeeds', async () => {
    await mkdir(path.join(remoteRootOf('web/1'), 'web-server'), { recursive: true });
    await writeFile(path.join(remoteRootOf('web/1'), 'web-server', 'half-written'), 'x');
    await breakRemovalOnWeb1();

    for (const verb of ['backup-cleanup', 'restore-cleanup']) {
      await fleet.clearEvents();
      const result = await run([verb]);
      expect(result.exitCode, `${verb}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toMatch(/failed to remove \/var\/vcap\/store\/bbr-backup on instance web\/1: .*Device or resource busy/);
      const unlock = verb === 'backup-cleanup' ? 'post-backup-unlock' : 'post-restore-unlock';
      for (const instance of fleet.instances) expect(await scriptsRun(fleet, instance.name), `${verb} on ${instance.name}`).toEqual([unlock]);
      expect(existsSync(remoteRootOf('web/1'))).toBe(true);
    }

    await fixRemoval();
    const again = await run(['backup-cleanup']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(existsSync(remoteRootOf('web/1'))).toBe(false);
  });
});

// Issue 4, faults in job scripts and leftovers, against real sshd instances (127.0.4.21-23): every failure
// names instance, job, script, exit status and next step; every lock attempted is unlocked; nothing
// half-done looks complete; backup-cleanup clears leftovers; names from instances never reach a shell unquoted.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { REPO_ROOT, runBbrTs, type CliResult } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { scriptsRun } from '../support/faults.js';

let fleet: Fleet;
let flags: string[];
let privateKey: string;

useExampleFleet('127.0.4', async (started) => {
  ({ fleet, flags } = started);
  privateKey = await readFile(fleet.privateKeyPath, 'utf8');
});

const artifactsDir = () => tempArtifactsDir('bbr-ts-faults-');

async function backup(target: string, ...extra: string[]): Promise<CliResult> {
  const result = await runBbrTs(['deployment', ...flags, ...extra, 'backup', '-a', target]);
  // The private key never shows, whatever happened.
  const keyBody = privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))[1]!;
  expect(result.stdout + result.stderr).not.toContain(keyBody);
  return result;
}

async function unlockFlags(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const i of fleet.instances) {
    out[i.name] = (await fleet.events(i.name)).filter((e) => e.script === 'post-backup-unlock').map((e) => e.fields.successful ?? '');
  }
  return out;
}

function expectNothingLockedOrLeft(): void {
  for (const i of fleet.instances) {
    expect(existsSync(path.join(i.dir, 'sys', 'run', `${i.jobs[0]}.locked`)), i.name).toBe(false);
    expect(existsSync(path.join(i.dir, 'store', 'bbr-backup')), i.name).toBe(false);
  }
}

/** The error section of stderr (what comes after "N error(s) occurred:"). */
const errorsOf = (stderr: string) => stderr.slice(stderr.indexOf('error(s) occurred:'));

describe('a failing job script', () => {
  it('backup exiting 1 on one instance of three: exit 1, that instance named with its stderr, everything unlocked', async () => {
    await fleet.setFault('web/1', 'web-server', 'backup', 'echo "tar: /var/vcap/store/web: Cannot open: Permission denied" >&2; exit 1');
    const target = await artifactsDir();
    const result = await backup(target);

    expect(result.exitCode).toBe(1);
    const errors = errorsOf(result.stderr);
    expect(result.stderr).toMatch(/^1 error\(s\) occurred:\nerror 1: backup script of job 'web-server' on web\/1 exited with status 1/);
    expect(errors).toMatch(/stderr \(last lines\):\n\s+tar: \/var\/vcap\/store\/web: Cannot open: Permission denied/);
    expect(errors).toMatch(/next step: see the output above and the job's logs under \/var\/vcap\/sys\/log\/web-server\/ on web\/1/);
    expect(errors).not.toMatch(/web\/0|database\/0/);
    expect(result.stdout).toMatch(/web\/1 web-server: backup FAILED/);
    expect(await unlockFlags()).toEqual({ 'database/0': ['false'], 'web/0': ['false'], 'web/1': ['false'] });
    expectNothingLockedOrLeft();
    expect(await readdir(target)).toEqual([expect.stringMatching(/^example_\d{8}T\d{6}Z\.failed$/)]);
  });

  it('pre-backup-lock failing: exit 4, no backup script runs, every job whose lock was attempted is unlocked', async () => {
    await fleet.setFault('web/1', 'web-server', 'pre-backup-lock', 'echo "cannot quiesce" >&2; exit 3');
    const target = await artifactsDir();
    const result = await backup(target);

    expect(result.exitCode).toBe(4);
    expect(errorsOf(result.stderr)).toMatch(/error 1: pre-backup-lock script of job 'web-server' on web\/1 exited with status 3\n.*\n\s+cannot quiesce/);
    for (const i of fleet.instances) expect(await scriptsRun(fleet, i.name)).toEqual(['pre-backup-lock', 'post-backup-unlock']);
    expect(await unlockFlags()).toEqual({ 'database/0': ['false'], 'web/0': ['false'], 'web/1': ['false'] });
    expectNothingLockedOrLeft();
    expect(await readdir(target)).toEqual([expect.stringMatching(/\.failed$/)]);
  });

  it('post-backup-unlock failing: exit 8, artifacts still drained, the job named as maybe locked, backup-cleanup advised', async () => {
    await fleet.setFault('database/0', 'database', 'post-backup-unlock', 'echo "unlock refused" >&2; exit 1');
    const target = await artifactsDir();
    const result = await backup(target);

    expect(result.exitCode).toBe(8);
    const errors = errorsOf(result.stderr);
    expect(errors).toMatch(/error 1: post-backup-unlock script of job 'database' on database\/0 exited with status 1/);
    expect(errors).toMatch(/next step: job 'database' on database\/0 may still be LOCKED: .* run the backup-cleanup command below to unlock it/);
    // The command itself, once, below the errors.
    expect(errors.match(/It is recommended that you run `bbr-ts deployment .* backup-cleanup`/g)).toHaveLength(1);
    expect(await unlockFlags()).toEqual({ 'database/0': ['true'], 'web/0': ['true'], 'web/1': ['true'] });
    const [dir, ...others] = await readdir(target);
    expect(others).toEqual([]);
    // Every artifact was drained and verified: the backup is complete and keeps its normal name (as BBR's does).
    expect(dir).toMatch(/^example_\d{8}T\d{6}Z$/);
    expect((await readdir(path.join(target, dir!))).sort()).toEqual(['database-0-database.tar', 'metadata', 'web-0-web-server.tar', 'web-1-web-server.tar']);
    for (const i of fleet.instances) expect(existsSync(path.join(i.dir, 'store', 'bbr-backup')), i.name).toBe(false);
    // The job really is still locked (its unlock failed before removing the lock); backup-cleanup fixes that.
    expect(existsSync(path.join(fleet.instance('database/0').dir, 'sys', 'run', 'database.locked'))).toBe(true);
    await fleet.clearFaults();
    const cleanup = await runBbrTs(['deployment', ...flags, 'backup-cleanup']);
    expect(cleanup.exitCode).toBe(0);
    expectNothingLockedOrLeft();
  });

  it('a metadata script printing invalid YAML: exit 1, named, and nothing is locked', async () => {
    await fleet.setFault('database/0', 'database', 'metadata', "printf 'backup_should_be_locked_before: [unclosed\\n'; exit 0");
    const target = await artifactsDir();
    const result = await backup(target);

    expect(result.exitCode).toBe(1);
    expect(errorsOf(result.stderr)).toMatch(/error 1: metadata script of job 'database' on database\/0 printed invalid YAML/);
    expect(result.stderr).toMatch(/next step: run it by hand on database\/0/);
    for (const i of fleet.instances) expect(await scriptsRun(fleet, i.name)).toEqual([]);
    expect(await readdir(target)).toEqual([]);
  });
});

describe('backup-cleanup and restore-cleanup', () => {
  it('unlock in reverse lock order, remove leftover remote directories, and are idempotent', async () => {
    for (const name of ['database/0', 'web/0']) {
      const i = fleet.instance(name);
      await mkdir(path.join(i.dir, 'store', 'bbr-backup', i.jobs[0]!), { recursive: true });
      await writeFile(path.join(i.dir, 'store', 'bbr-backup', i.jobs[0]!, 'half-written'), 'x');
      await mkdir(path.join(i.dir, 'sys', 'run'), { recursive: true });
      await writeFile(path.join(i.dir, 'sys', 'run', `${i.jobs[0]}.locked`), '');
    }
    const blocked = await backup(await artifactsDir());
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toMatch(/already exists on instance database\/0/);

    await fleet.clearEvents();
    const first = await runBbrTs(['deployment', ...flags, 'backup-cleanup']);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(await unlockFlags()).toEqual({ 'database/0': ['false'], 'web/0': ['false'], 'web/1': ['false'] });
    // database is locked after web-server, so it is unlocked first.
    const unlockAt = async (name: string) => (await fleet.events(name)).find((e) => e.script === 'post-backup-unlock')!.timeNs;
    expect(await unlockAt('database/0')).toBeLessThan(await unlockAt('web/0'));
    expectNothingLockedOrLeft();
    for (const i of fleet.instances) expect(await scriptsRun(fleet, i.name)).toEqual(['post-backup-unlock']);

    const again = await runBbrTs(['deployment', ...flags, 'backup-cleanup']);
    expect(again.exitCode).toBe(0);
    const restoreCleanup = await runBbrTs(['deployment', ...flags, 'restore-cleanup']);
    expect(restoreCleanup.exitCode).toBe(0);
    expect(await scriptsRun(fleet, 'web/1')).toEqual(['post-backup-unlock', 'post-backup-unlock', 'post-restore-unlock']);

    const target = await artifactsDir();
    expect((await backup(target)).exitCode).toBe(0);
    expect(await readdir(target)).toEqual([expect.stringMatching(/^example_\d{8}T\d{6}Z$/)]);
  });

  it('reports an unlock failure during cleanup with exit 8 and can simply be run again', async () => {
    await fleet.setFault('web/0', 'web-server', 'post-backup-unlock', 'exit 2');
    const failed = await runBbrTs(['deployment', ...flags, 'backup-cleanup']);
    expect(failed.exitCode).toBe(8);
    expect(failed.stderr).toMatch(/post-backup-unlock script of job 'web-server' on web\/0 exited with status 2/);
    expect(failed.stderr).toMatch(/run `bbr-ts deployment .*--known-hosts .* backup-cleanup`/);
    await fleet.clearFaults();
    expect((await runBbrTs(['deployment', ...flags, 'backup-cleanup'])).exitCode).toBe(0);
  });
});

describe('names from instances never reach a shell unquoted', () => {
  it('backs up a job whose directory name is a shell injection attempt, without running it', async () => {
    const marker = `pwned-${randomUUID()}`;
    const evil = `evil;cd;touch ${marker};'$(touch ${marker})'`;
    const instance = fleet.instance('web/0');
    const bin = path.join(instance.dir, 'jobs', evil, 'bin', 'bbr');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'backup'), '#!/bin/sh\nset -eu\necho data >"$BBR_ARTIFACT_DIRECTORY/file"\n');
    await chmod(path.join(bin, 'backup'), 0o755);
    try {
      const target = await artifactsDir();
      const result = await backup(target);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      for (const dir of ['/tmp', os.tmpdir(), os.homedir(), '/', REPO_ROOT, instance.dir]) expect(existsSync(path.join(dir, marker)), dir).toBe(false);
      const [dir] = await readdir(target);
      expect(await readdir(path.join(target, dir!))).toContain(`web-0-${evil}.tar`);
    } finally {
      await rm(path.join(instance.dir, 'jobs', evil), { recursive: true, force: true });
    }
  });
});

// Issue 3 end to end: `bbr-ts deployment ... restore` against the example deployment running as real sshd
// instances (127.0.3.21-23): round trip with the data checked on the instances, a backup in Go bbr's format,
// topology mismatches, leftovers, and the unlock guarantee when scripts fail.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { buildBbrArtifact, BBR_ARTIFACT_FIXTURE, treeHashes } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.3', (started) => ({ fleet, flags } = started));

const storeOf = (instance: string, job: string) => path.join(fleet.instance(instance).dir, 'store', job);
const jobOf = (instance: string) => fleet.instance(instance).jobs[0]!;

async function scriptsRan(instance: string): Promise<string[]> {
  return (await fleet.events(instance)).map((e) => e.script);
}

async function backupNow(): Promise<string> {
  const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-restore-'));
  const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const [name] = await readdir(target);
  await fleet.clearEvents();
  return path.join(target, name!);
}

/** Overwrites, deletes and adds files in every instance's job data, so a restore has something to undo. */
async function damageData(): Promise<void> {
  for (const instance of fleet.instances) {
    const store = storeOf(instance.name, jobOf(instance.name));
    const files = Object.keys(await treeHashes(store));
    await writeFile(path.join(store, files[0]!), 'overwritten after the backup\n');
    await rm(path.join(store, files[1]!));
    await writeFile(path.join(store, 'added-after-backup.txt'), 'should disappear\n');
  }
}

function expectNothingLeftBehind(): void {
  for (const instance of fleet.instances) {
    expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup'))).toBe(false);
    expect(existsSync(path.join(instance.dir, 'sys', 'run', `${jobOf(instance.name)}.locked`))).toBe(false);
  }
}

describe('deployment restore', () => {
  it('restores a backup taken by bbr-ts: data back on every instance, locks in order, unlocks reversed', async () => {
    const before = Object.fromEntries(
      await Promise.all(fleet.instances.map(async (i) => [i.name, await treeHashes(storeOf(i.name, jobOf(i.name)))] as const)),
    );
    const artifact = await backupNow();
    await damageData();

    const result = await runBbrTs(['deployment', ...flags, 'restore', '--artifact-path', artifact]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/restore succeeded/);

    for (const instance of fleet.instances) {
      expect(await treeHashes(storeOf(instance.name, jobOf(instance.name)))).toEqual(before[instance.name]);
      expect(await scriptsRan(instance.name)).toEqual(['metadata', 'pre-restore-lock', 'restore', 'post-restore-unlock']);
      const restoreEvent = (await fleet.events(instance.name)).find((e) => e.script === 'restore');
      expect(restoreEvent?.fields).toMatchObject({
        artifact_dir: `/var/vcap/store/bbr-backup/${jobOf(instance.name)}/`,
        legacy: `/var/vcap/store/bbr-backup/${jobOf(instance.name)}/`,
      });
    }
    const at = async (instance: string, script: string) => (await fleet.events(instance)).find((e) => e.script === script)!.timeNs;
    for (const web of ['web/0', 'web/1']) {
      expect(await at(web, 'pre-restore-lock')).toBeLessThan(await at('database/0', 'pre-restore-lock'));
      expect(await at(web, 'post-restore-unlock')).toBeGreaterThan(await at('database/0', 'post-restore-unlock'));
    }
    expectNothingLeftBehind();
  });

  it('restores a backup written in Go bbr\'s format (quoted and unquoted indexes, BBR times, an empty artifact)', async () => {
    const artifact = await buildBbrArtifact();
    const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const contents = path.join(BBR_ARTIFACT_FIXTURE, 'contents');
    expect(await treeHashes(storeOf('database/0', 'database'))).toEqual(await treeHashes(path.join(contents, 'database-0-database')));
    expect(await readFile(path.join(storeOf('database/0', 'database'), 'data', 'users.csv'), 'utf8')).toContain('restored-from-bbr');
    expect(await treeHashes(storeOf('web/0', 'web-server'))).toEqual(await treeHashes(path.join(contents, 'web-0-web-server')));
    expect(await treeHashes(storeOf('web/1', 'web-server'))).toEqual({});
    expectNothingLeftBehind();
  });

  it('reports every topology mismatch at once and touches no instance; an artifact of a job the instance lacks is no error', async () => {
    const artifact = await buildBbrArtifact();
    // database/0 holds a job the deployment does not run there, and web/5 does not exist.
    let metadata = await readFile(path.join(artifact, 'metadata'), 'utf8');
    metadata = metadata.replace('  - name: database\n', '  - name: postgres\n');
    metadata = metadata.replace('backup_activity:', '- name: web\n  index: 5\n  artifacts:\n  - name: web-server\n    checksums: {}\nbackup_activity:');
    await writeFile(path.join(artifact, 'metadata'), metadata);
    await execa('mv', [path.join(artifact, 'database-0-database.tar'), path.join(artifact, 'database-0-postgres.tar')]);
    await execa('cp', [path.join(artifact, 'web-1-web-server.tar'), path.join(artifact, 'web-5-web-server.tar')]);
    const check = await runBbrTs(['artifact', 'verify', artifact]);
    expect(check.exitCode).toBe(0);

    const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^2 error\(s\) occurred:/);
    expect(result.stderr).toMatch(/the backup has instance web\/5, which the deployment does not have/);
    expect(result.stderr).toMatch(/job database on database\/0 has a restore script, but the backup holds no artifact for it/);
    // BBR uploads artifacts only for jobs with a restore script: the postgres artifact would be left out, not refused.
    expect(result.stderr).not.toMatch(/postgres/);
    for (const instance of fleet.instances) {
      expect(await scriptsRan(instance.name)).toEqual(['metadata']);
      expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup'))).toBe(false);
    }
  });

  it('refuses to start when an earlier run left /var/vcap/store/bbr-backup, and leaves it alone', async () => {
    const artifact = await buildBbrArtifact();
    const leftover = path.join(fleet.instance('web/1').dir, 'store', 'bbr-backup');
    await mkdir(leftover, { recursive: true });
    try {
      const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/directory \/var\/vcap\/store\/bbr-backup already exists on instance web\/1/);
      expect(result.stderr).toMatch(/restore-cleanup/);
      expect(existsSync(leftover)).toBe(true);
      for (const instance of fleet.instances) expect(await scriptsRan(instance.name)).toEqual(['metadata']);
    } finally {
      await rm(leftover, { recursive: true, force: true });
    }
  });

  it('unlocks every job and stops at the first failing instance when a restore script fails (exit 1)', async () => {
    const artifact = await buildBbrArtifact();
    await fleet.setFault('web/0', 'web-server', 'restore', 'echo "disk on fire" >&2; exit 3');
    const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/restore script of job 'web-server' on web\/0 exited with status 3/);
    expect(result.stderr).toMatch(/disk on fire/);
    expect(await scriptsRan('database/0')).toEqual(['metadata', 'pre-restore-lock', 'restore', 'post-restore-unlock']);
    expect(await scriptsRan('web/0')).toEqual(['metadata', 'pre-restore-lock', 'restore', 'post-restore-unlock']);
    expect(await scriptsRan('web/1')).toEqual(['metadata', 'pre-restore-lock', 'post-restore-unlock']);
    expectNothingLeftBehind();
  });

  it('counts a pre-restore-lock failure as generic (exit 1, as BBR) and still unlocks', async () => {
    const artifact = await buildBbrArtifact();
    await fleet.setFault('database/0', 'database', 'pre-restore-lock', 'exit 1');
    const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/pre-restore-lock script of job 'database' on database\/0 exited with status 1/);
    for (const instance of fleet.instances) {
      expect(await scriptsRan(instance.name)).toEqual(['metadata', 'pre-restore-lock', 'post-restore-unlock']);
    }
    expectNothingLeftBehind();
  });

  it('exits 8 when a post-restore-unlock script fails after a good restore', async () => {
    const artifact = await buildBbrArtifact();
    await fleet.setFault('web/1', 'web-server', 'post-restore-unlock', 'exit 2');
    const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(result.exitCode, result.stderr).toBe(8);
    expect(result.stderr).toMatch(/post-restore-unlock script of job 'web-server' on web\/1 exited with status 2/);
    expect(existsSync(path.join(fleet.instance('web/1').dir, 'store', 'bbr-backup'))).toBe(false);
    await rm(path.join(fleet.instance('web/1').dir, 'sys', 'run', 'web-server.locked'), { force: true });
  });

  it('requires --artifact-path', async () => {
    const result = await runBbrTs(['deployment', ...flags, 'restore']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/artifact-path/);
    for (const instance of fleet.instances) expect(await scriptsRan(instance.name)).toEqual([]);
  });
});


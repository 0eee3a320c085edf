// Issue 12, restore parity with BBR, against the example deployment as real sshd instances (127.0.46.21-23):
// restore locks and unlocks one job at a time, backups BBR restores are restored (what cannot be is skipped
// and named), and a backup that failed only in unlock or cleanup stays restorable.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Fleet, FleetEvent } from '../../fixtures/fleet/fleet.mjs';
import { buildBbrArtifact } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.46', (started) => ({ fleet, flags } = started));

const storeOf = (instance: string, job: string) => path.join(fleet.instance(instance).dir, 'store', job);
const scriptsRan = async (instance: string) => (await fleet.events(instance)).filter((e) => e.script !== 'metadata').map((e) => e.script);

function expectNothingLeftBehind(): void {
  for (const instance of fleet.instances) {
    expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup')), instance.name).toBe(false);
    expect(existsSync(path.join(instance.dir, 'sys', 'run', `${instance.jobs[0]}.locked`)), instance.name).toBe(false);
  }
}

async function summaryOf(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

describe('restore locks and unlocks run one job at a time (BBR\'s serial executor)', () => {
  // Each lock and unlock script records its start (the fixture does) and, through this fault hook, its end after a
  // pause long enough that two scripts started together would overlap.
  const slowWithEnd = 'sleep 0.5; printf \'%s %s %s\\n\' "$(date +%s%N)" "$job" "$script-end" >>/var/vcap/sys/log/bbr-events.log';

  async function slowLocks(): Promise<void> {
    for (const instance of fleet.instances) {
      for (const script of ['pre-restore-lock', 'post-restore-unlock']) await fleet.setFault(instance.name, instance.jobs[0]!, script, slowWithEnd);
    }
  }

  /** [instance, start, end] of every run of `script`, in start order. */
  async function windows(script: string): Promise<{ instance: string; start: bigint; end: bigint }[]> {
    const found: { instance: string; start: bigint; end: bigint }[] = [];
    for (const instance of fleet.instances) {
      const events = await fleet.events(instance.name);
      const at = (name: string): FleetEvent[] => events.filter((e) => e.script === name);
      const [starts, ends] = [at(script), at(`${script}-end`)];
      expect(starts.length, `${instance.name} ${script}`).toBe(1);
      expect(ends.length, `${instance.name} ${script}-end`).toBe(1);
      found.push({ instance: instance.name, start: starts[0]!.timeNs, end: ends[0]!.timeNs });
    }
    return found.sort((a, b) => (a.start < b.start ? -1 : 1));
  }

  function expectNoOverlap(list: { instance: string; start: bigint; end: bigint }[]): void {
    for (let i = 1; i < list.length; i++) {
      expect(list[i]!.start > list[i - 1]!.end, `${list[i]!.instance} started before ${list[i - 1]!.instance} had finished`).toBe(true);
    }
  }

  it('restore: pre-restore-lock in lock order and post-restore-unlock reversed, never two at once, even at --parallelism 10', async () => {
    const artifact = await buildBbrArtifact();
    await slowLocks();
    const result = await runBbrTs(['deployment', ...flags, '--parallelism', '10', 'restore', '-a', artifact]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);

    const locks = await windows('pre-restore-lock');
    expectNoOverlap(locks);
    // web-server is locked before database (its metadata says so); both web instances come first.
    expect(locks.map((w) => w.instance).slice(2)).toEqual(['database/0']);
    const unlocks = await windows('post-restore-unlock');
    expectNoOverlap(unlocks);
    expect(unlocks.map((w) => w.instance)[0]).toBe('database/0');
    expectNothingLeftBehind();
  });

  it('drill: the same one-at-a-time locks and unlocks', async () => {
    const artifact = await buildBbrArtifact();
    await slowLocks();
    const result = await runBbrTs(['deployment', ...flags, '--parallelism', '10', 'drill', '-a', artifact, '--verify', 'true']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expectNoOverlap(await windows('pre-restore-lock'));
    expectNoOverlap(await windows('post-restore-unlock'));
    expectNothingLeftBehind();
  });
});

describe('backups BBR restores are restored; what cannot be restored is skipped and named', () => {
  const restoreScript = () => path.join(fleet.instance('web/1').dir, 'jobs', 'web-server', 'bin', 'bbr', 'restore');

  /** Runs `body` with web/1's web-server restore script moved away (a backup-only job), then puts it back. */
  async function withoutRestoreScriptOnWeb1(body: () => Promise<void>): Promise<void> {
    await rename(restoreScript(), `${restoreScript()}.away`);
    try {
      await body();
    } finally {
      await rename(`${restoreScript()}.away`, restoreScript());
    }
  }

  async function restoreWithSummary(artifact: string) {
    const summaryFile = path.join(await tempArtifactsDir('bbr-ts-parity-summary-'), 'summary.json');
    const result = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact, '--summary-json', summaryFile]);
    return { result, summary: await summaryOf(summaryFile) };
  }

  it('(a) a backup-only job in the same deployment: its artifact is skipped, everything else restored (exit 0)', async () => {
    const artifact = await buildBbrArtifact();
    await withoutRestoreScriptOnWeb1(async () => {
      const { result, summary } = await restoreWithSummary(artifact);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/SKIPPED web-1-web-server\.tar: job web-server on web\/1 has no restore script \(it backs up only\)/);
      expect(result.stdout).toMatch(/Skipped 1 artifact\(s\) of the backup that no job restores from:\n  web-1-web-server\.tar: /);
      expect(summary.skippedArtifacts).toEqual([
        { file: 'web-1-web-server.tar', instance: 'web/1', job: 'web-server', reason: 'job web-server on web/1 has no restore script (it backs up only)' },
      ]);
    });
    expect(await scriptsRan('web/0')).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);
    // BBR runs lock and unlock scripts of every job; only the restore is left out.
    expect(await scriptsRan('web/1')).toEqual(['pre-restore-lock', 'post-restore-unlock']);
    expect(await scriptsRan('database/0')).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);
    expectNothingLeftBehind();
  });

  it('(b) an artifact of a job that now prints skip_bbr_scripts: true is skipped (exit 0)', async () => {
    const artifact = await buildBbrArtifact();
    await fleet.setFault('web/1', 'web-server', 'metadata', "echo 'skip_bbr_scripts: true'; exit 0");
    const { result, summary } = await restoreWithSummary(artifact);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/SKIPPED web-1-web-server\.tar: job web-server on web\/1 prints skip_bbr_scripts: true in its metadata/);
    expect(summary.skippedArtifacts).toEqual([expect.objectContaining({ file: 'web-1-web-server.tar', reason: expect.stringMatching(/skip_bbr_scripts/) })]);
    expect(await scriptsRan('web/1')).toEqual([]);
    expect(await scriptsRan('web/0')).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);
    expectNothingLeftBehind();
  });

  it('(c) restore_name printed by a job on an instance without a restore script is not refused (exit 0)', async () => {
    const artifact = await buildBbrArtifact();
    await fleet.setFault('web/1', 'web-server', 'metadata', "echo 'restore_name: legacy-name'; exit 0");
    await withoutRestoreScriptOnWeb1(async () => {
      const { result, summary } = await restoreWithSummary(artifact);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(summary.skippedArtifacts).toEqual([expect.objectContaining({ file: 'web-1-web-server.tar' })]);
    });
    expect(await scriptsRan('database/0')).toEqual(['pre-restore-lock', 'restore', 'post-restore-unlock']);

    // On an instance that does restore, restore_name is still refused, as BBR does, before anything runs.
    await fleet.clearEvents();
    const refused = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/job web-server on web\/1 sets the discontinued metadata key restore_name/);
    for (const instance of fleet.instances) expect(await scriptsRan(instance.name)).toEqual([]);
    expectNothingLeftBehind();
  });

  it('metadata with a custom artifact listed without files and no tar (Go bbr\'s mysql-restore case) restores (exit 0)', async () => {
    const artifact = await buildBbrArtifact();
    const metadataFile = path.join(artifact, 'metadata');
    const metadata = await readFile(metadataFile, 'utf8');
    await writeFile(metadataFile, metadata.replace('backup_activity:', 'custom_artifacts:\n- name: mysql-artifact\n  checksums: {}\nbackup_activity:'));
    // The legacy job itself is on the instance, printing restore_name; BBR ignores jobs named mysql-restore entirely.
    const legacy = path.join(fleet.instance('database/0').dir, 'jobs', 'mysql-restore', 'bin', 'bbr');
    await mkdir(legacy, { recursive: true });
    await writeFile(path.join(legacy, 'metadata'), "#!/bin/sh\necho 'restore_name: mysql-artifact'\n");
    await writeFile(path.join(legacy, 'restore'), '#!/bin/sh\ntouch /var/vcap/store/mysql-restore-ran\n');
    await chmod(path.join(legacy, 'metadata'), 0o755);
    await chmod(path.join(legacy, 'restore'), 0o755);
    try {
      const verified = await runBbrTs(['artifact', 'verify', artifact]);
      expect(verified.exitCode).toBe(0);
      expect(verified.stdout).toMatch(/mysql-artifact\.tar \(custom artifact mysql-artifact\): OK, listed without files and absent/);
      const shown = await runBbrTs(['artifact', 'show', artifact]);
      expect(shown.stdout).toMatch(/custom artifact mysql-artifact: 0 file\(s\), no tar \(listed without files, as Go bbr writes it\)/);

      const { result, summary } = await restoreWithSummary(artifact);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/SKIPPED mysql-artifact\.tar: custom artifact mysql-artifact \(listed without files and absent/);
      expect(summary.skippedArtifacts).toEqual([expect.objectContaining({ file: 'mysql-artifact.tar' })]);
      expect(existsSync(path.join(fleet.instance('database/0').dir, 'store', 'mysql-restore-ran'))).toBe(false);
      expect(await readFile(path.join(storeOf('database/0', 'database'), 'data', 'users.csv'), 'utf8')).toContain('restored-from-bbr');
    } finally {
      await rm(path.join(fleet.instance('database/0').dir, 'jobs', 'mysql-restore'), { recursive: true, force: true });
    }
    expectNothingLeftBehind();
  });
});

describe('a backup that failed only in unlock or cleanup is complete and stays restorable', () => {
  async function backupWithSummary() {
    const target = await tempArtifactsDir('bbr-ts-parity-');
    const summaryFile = path.join(target, 'summary.json');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', target, '--summary-json', summaryFile]);
    const dirs = (await readdir(target)).filter((name) => name !== 'summary.json');
    expect(dirs).toHaveLength(1);
    return { result, summary: await summaryOf(summaryFile), dir: path.join(target, dirs[0]!) };
  }

  async function restoreExits0(dir: string): Promise<void> {
    await fleet.clearEvents();
    await fleet.clearFaults();
    const restored = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restored.stderr).toBe('');
    expect(restored.exitCode).toBe(0);
    expectNothingLeftBehind();
  }

  it('exit 8 (a post-backup-unlock failed after a verified drain): normal name, marked complete, restorable', async () => {
    await fleet.setFault('database/0', 'database', 'post-backup-unlock', 'echo "unlock refused" >&2; exit 1');
    const { result, summary, dir } = await backupWithSummary();
    expect(result.exitCode).toBe(8);
    expect(path.basename(dir)).toMatch(/^example_\d{8}T\d{6}Z$/);
    expect(result.stdout).toMatch(/WARNING the backup in .*example_\d{8}T\d{6}Z is complete \(every artifact was drained and verified\) and can be restored/);
    expect(result.stdout).toMatch(/Artifact: .*example_\d{8}T\d{6}Z \(3 file\(s\), .*; complete and restorable\)/);
    expect(summary).toMatchObject({ status: 'failed', exitCode: 8, artifactPath: dir, artifactComplete: true });
    expect((await runBbrTs(['artifact', 'verify', dir])).exitCode).toBe(0);
    // The job the unlock failed on is still locked: clean up first, as the footer says.
    await fleet.clearFaults();
    const cleanup = await runBbrTs(['deployment', ...flags, 'backup-cleanup']);
    expect(cleanup.exitCode).toBe(0);
    await restoreExits0(dir);
  });

  it('exit 16 (removing /var/vcap/store/bbr-backup failed after a verified drain): normal name, restorable', async () => {
    // The backup script mounts a tmpfs inside the remote artifact root (in the instance's own mount namespace), so
    // the drain succeeds but the final `rm -rf /var/vcap/store/bbr-backup` fails with "Device or resource busy".
    const busy = '/var/vcap/store/bbr-backup/busy';
    await fleet.setFault('database/0', 'database', 'backup', `mkdir -p ${busy} && mount -t tmpfs bbr-ts-test ${busy}`);
    try {
      const { result, summary, dir } = await backupWithSummary();
      expect(result.exitCode).toBe(16);
      expect(result.stderr).toMatch(/failed to remove \/var\/vcap\/store\/bbr-backup on instance database\/0/);
      expect(path.basename(dir)).toMatch(/^example_\d{8}T\d{6}Z$/);
      expect(summary).toMatchObject({ status: 'failed', exitCode: 16, artifactComplete: true });
      expect((await runBbrTs(['artifact', 'verify', dir])).exitCode).toBe(0);
      await execa('nsenter', ['-t', String(fleet.instance('database/0').pid), '-m', 'umount', busy]);
      await rm(path.join(fleet.instance('database/0').dir, 'store', 'bbr-backup'), { recursive: true, force: true });
      await restoreExits0(dir);
    } finally {
      await execa('nsenter', ['-t', String(fleet.instance('database/0').pid), '-m', 'umount', busy], { reject: false });
      await rm(path.join(fleet.instance('database/0').dir, 'store', 'bbr-backup'), { recursive: true, force: true });
    }
  });

  it('an unlock failure after a failed backup script still ends as .failed (the data is incomplete)', async () => {
    await fleet.setFault('web/1', 'web-server', 'backup', 'exit 1');
    await fleet.setFault('database/0', 'database', 'post-backup-unlock', 'exit 1');
    const { result, summary, dir } = await backupWithSummary();
    expect(result.exitCode).toBe(1 | 8);
    expect(dir).toMatch(/\.failed$/);
    expect(summary).toMatchObject({ artifactComplete: false });
    expect(result.stdout).not.toMatch(/complete and restorable/);
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toMatch(/is from a backup that failed/);
    await fleet.clearFaults();
    expect((await runBbrTs(['deployment', ...flags, 'backup-cleanup'])).exitCode).toBe(0);
  });
});

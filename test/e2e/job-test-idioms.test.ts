// Issue 12, items 8-12: `bbr-ts job test` on jobs written the way real releases write them
// (fixtures/real-idioms) and on lock-only jobs with faults (fixtures/broken-jobs/lock-only-*). Runs no fleet.
import { cp, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { CheckResult, JobTestReport } from '../../src/release-check/types.js';
import { BIN, REPO_ROOT, runBbrTs } from '../support/cli.js';

const IDIOMS = path.join(REPO_ROOT, 'fixtures', 'real-idioms');
const BROKEN = path.join(REPO_ROOT, 'fixtures', 'broken-jobs');

async function jobTest(jobDir: string, ...extra: string[]): Promise<{ exitCode: number; report: JobTestReport; vcapRoot: string }> {
  const vcapRoot = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-vcap-'));
  const result = await runBbrTs(['job', 'test', jobDir, '--env', `VCAP_ROOT=${vcapRoot}`, '--json', ...extra]);
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as JobTestReport, vcapRoot };
}

const runChecks = (report: JobTestReport) => report.checks.filter((c) => c.kind === 'run');
const check = (report: JobTestReport, id: string): CheckResult => {
  const found = report.checks.find((c) => c.check === id);
  expect(found, `no ${id} check in ${JSON.stringify(report.checks)}`).toBeDefined();
  return found!;
};

describe('scripts get pipes as stdout and stderr, as under sshd', () => {
  it('`echo x > /dev/stderr` and `exec > >(tee -a LOG >> /dev/stdout)` work, and their output is shown', async () => {
    const { exitCode, report, vcapRoot } = await jobTest(path.join(IDIOMS, 'stdio-idioms'));
    expect(exitCode, JSON.stringify(report.checks, null, 1)).toBe(0);
    expect(check(report, 'metadata-runs').status).toBe('pass');
    const backup = check(report, 'backup');
    expect(backup.status).toBe('pass');
    expect(backup.step!.output).toContain('stdio-idioms: backing up');
    expect(backup.step!.output).toContain('stdio-idioms: nothing to lock, going on');
    expect(backup.step!.output).toContain('stdio-idioms: backed up');
    expect(check(report, 'restore').step!.output).toMatch(/stdio-idioms: restored/);
    // tee kept its copy too.
    expect(await readFile(path.join(vcapRoot, 'sys', 'log', 'stdio-idioms', 'bbr.stdout.log'), 'utf8')).toContain('stdio-idioms: backed up');
  });
});

describe('backups that legitimately write little', () => {
  it('release_level_backup: false (writes nothing) passes with a warning, and restore still runs', async () => {
    const { exitCode, report } = await jobTest(path.join(IDIOMS, 'release-level-backup-off'));
    expect(exitCode).toBe(0);
    expect(report.passed).toBe(true);
    expect(check(report, 'backup-wrote-files')).toMatchObject({ status: 'warn', message: expect.stringMatching(/wrote nothing/) });
    expect(check(report, 'restore').status).toBe('pass');
    const text = await runBbrTs(['job', 'test', path.join(IDIOMS, 'release-level-backup-off')]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/WARN {2}backup succeeded but wrote nothing into \$BBR_ARTIFACT_DIRECTORY\n {8}next step: fine when this job has nothing to back up/);
    expect(text.stdout).toMatch(/PASSED: \d+ passed, 0 failed, 1 warning\(s\)/);
  });

  it('a folder counts as output: an empty blobstore backs up as its empty store/ folder, which restore needs', async () => {
    const { exitCode, report } = await jobTest(path.join(IDIOMS, 'hardlink-blobstore'));
    expect(exitCode, JSON.stringify(report.checks, null, 1)).toBe(0);
    expect(check(report, 'backup-wrote-files')).toMatchObject({ status: 'pass', message: 'backup wrote 0 file(s) and 1 folder(s) into $BBR_ARTIFACT_DIRECTORY' });
    expect(check(report, 'restore').status).toBe('pass');
  });
});

describe('skip_bbr_scripts: true', () => {
  it('runs none of the scripts of a job whose metadata disables it', async () => {
    const { exitCode, report, vcapRoot } = await jobTest(path.join(IDIOMS, 'disabled'));
    expect(exitCode, JSON.stringify(report.checks, null, 1)).toBe(0);
    expect(check(report, 'metadata-skip').status).toBe('warn');
    expect(runChecks(report)).toEqual([expect.objectContaining({ check: 'skipped', status: 'skip', message: expect.stringMatching(/skip_bbr_scripts: true/) })]);
    expect(report.scratch).toBeUndefined();
    // --only run still learns from metadata that the job is disabled.
    const only = await runBbrTs(['job', 'test', path.join(IDIOMS, 'disabled'), '--env', `VCAP_ROOT=${vcapRoot}`, '--only', 'run']);
    expect(only.exitCode).toBe(0);
    expect(only.stdout).toMatch(/SKIP {2}not run: metadata sets skip_bbr_scripts: true/);
    expect(only.stdout).not.toMatch(/backup ran although/);
  });
});

describe('lock-only jobs (no backup script)', () => {
  it('run lock, unlock, unlock again, and the restore pair', async () => {
    const { exitCode, report } = await jobTest(path.join(IDIOMS, 'lock-only'));
    expect(exitCode, JSON.stringify(report.checks, null, 1)).toBe(0);
    expect(runChecks(report).map((c) => [c.check, c.status])).toEqual([
      ['pre-backup-lock', 'pass'],
      ['backup', 'skip'],
      ['post-backup-unlock', 'pass'],
      ['post-backup-unlock-idempotent', 'pass'],
      ['pre-restore-lock', 'pass'],
      ['restore', 'skip'],
      ['post-restore-unlock', 'pass'],
      ['post-restore-unlock-idempotent', 'pass'],
    ]);
    expect(check(report, 'post-backup-unlock').step!.env).toEqual({ BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: 'true' });
  });

  it('a failing lock fails the test, and unlock still runs, told the backup failed', async () => {
    const { exitCode, report } = await jobTest(path.join(BROKEN, 'lock-only-lock-fails'));
    expect(exitCode).toBe(1);
    const lock = check(report, 'pre-backup-lock');
    expect(lock).toMatchObject({ status: 'fail', message: expect.stringMatching(/exited with status 3/) });
    expect(lock.step!.output).toMatch(/cannot pause writes/);
    expect(check(report, 'post-backup-unlock').step!.env).toEqual({ BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: 'false' });
  });

  it('an unlock that fails when run again fails the test', async () => {
    const { exitCode, report } = await jobTest(path.join(BROKEN, 'lock-only-unlock-not-idempotent'));
    expect(exitCode).toBe(1);
    expect(check(report, 'post-backup-unlock').status).toBe('pass');
    expect(check(report, 'post-backup-unlock-idempotent')).toMatchObject({ status: 'fail', message: expect.stringMatching(/not idempotent/) });
  });
});

/**
 * Runs `job test` on hardlink-blobstore installed as on a VM (<vcap>/jobs/<job>), in a mount namespace of its
 * own where <vcap>/store is a separate filesystem (a tmpfs) holding two blobs, as /var/vcap/store is on a VM.
 */
async function jobTestOnOwnStoreFilesystem(extra: (vcap: string) => string[], jobDirOf = (vcap: string) => path.join(vcap, 'jobs', 'hardlink-blobstore')) {
  const vcap = path.join(await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-vm-')), 'vcap');
  await cp(path.join(IDIOMS, 'hardlink-blobstore'), path.join(vcap, 'jobs', 'hardlink-blobstore'), { recursive: true });
  const store = path.join(vcap, 'store');
  await mkdir(store);
  const setup = [
    'mount -t tmpfs -o size=16m bbr-ts-store "$0"',
    'mkdir -p "$0/hardlink-blobstore/store/ab/cd" "$0/hardlink-blobstore/store/ef"',
    'printf one > "$0/hardlink-blobstore/store/ab/cd/blob-1"',
    'printf two > "$0/hardlink-blobstore/store/ef/blob-2"',
    'exec "$@"',
  ].join(' && ');
  const args = ['job', 'test', jobDirOf(vcap), '--env', `VCAP_ROOT=${vcap}`, '--json', ...extra(vcap)];
  const result = await execa('unshare', ['-m', 'sh', '-c', setup, store, 'node', BIN, ...args], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', timeout: 120_000 });
  expect(result.stderr).toBe('');
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as JobTestReport, store };
}

describe('the scratch $BBR_ARTIFACT_DIRECTORY is on the filesystem of the job\'s data', () => {
  it('by default next to <vcap>/jobs/<job>, in <vcap>/store, so `cp -rl` into it works where the store is its own filesystem', async () => {
    const { exitCode, report, store } = await jobTestOnOwnStoreFilesystem(() => []);
    expect(exitCode, JSON.stringify(report.checks, null, 1)).toBe(0);
    expect(check(report, 'backup').status).toBe('pass');
    expect(check(report, 'backup-wrote-files').message).toBe('backup wrote 2 file(s) and 4 folder(s) into $BBR_ARTIFACT_DIRECTORY');
    expect(check(report, 'restore').step!.output).toMatch(/restored 2 blob\(s\)/);
    expect(report.scratch!.artifactDirectory.startsWith(`${store}/bbr-ts-job-test-hardlink-blobstore-`)).toBe(true);
    expect(report.scratch!.artifactDirectory).toMatch(/\/bbr-backup\/hardlink-blobstore\/$/);
    expect(report.scratch!.reason).toBe(`on the filesystem of ${store}, as on a VM; --scratch-dir changes it`);
  });

  it('elsewhere (here: --scratch-dir in the temp folder, where it used to be) the same backup fails with EXDEV', async () => {
    const { exitCode, report } = await jobTestOnOwnStoreFilesystem(() => ['--scratch-dir', os.tmpdir()]);
    expect(exitCode).toBe(1);
    expect(check(report, 'backup').step!.output).toMatch(/Invalid cross-device link/);
    expect(report.scratch!.reason).toBe('chosen with --scratch-dir');
  });

  it('--scratch-dir on the data\'s filesystem works for a job folder anywhere', async () => {
    const { exitCode, report, store } = await jobTestOnOwnStoreFilesystem(
      (vcap) => ['--scratch-dir', path.join(vcap, 'store')],
      () => path.join(IDIOMS, 'hardlink-blobstore'),
    );
    expect(exitCode, JSON.stringify(report.checks, null, 1)).toBe(0);
    expect(report.scratch!.artifactDirectory.startsWith(store)).toBe(true);
  });

  it('refuses a --scratch-dir that is not an existing folder', async () => {
    const result = await runBbrTs(['job', 'test', path.join(IDIOMS, 'lock-only'), '--scratch-dir', path.join(os.tmpdir(), 'no-such-folder')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/--scratch-dir \S+no-such-folder is not an existing folder/);
    expect(result.stderr).toMatch(/create it first/);
    expect(result.stdout).toBe('');
  });

  it('says where $BBR_ARTIFACT_DIRECTORY was and why, in the text report', async () => {
    const vcapRoot = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-vcap-'));
    const result = await runBbrTs(['job', 'test', path.join(IDIOMS, 'lock-only'), '--env', `VCAP_ROOT=${vcapRoot}`]);
    expect(result.stdout).toMatch(/Contract run:\n {2}\$BBR_ARTIFACT_DIRECTORY was \/\S+\/bbr-backup\/lock-only\/\n {2}\((in the temp folder: no \/var\/vcap\/store here;|on the filesystem of \/var\/vcap\/store, as on a VM)/);
  });
});

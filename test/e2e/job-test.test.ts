// Issue 5: `bbr-ts job test JOB_DIR` for release authors: the contract's example jobs pass, and each broken
// job (one fault each, fixtures/broken-jobs/<fault>) has its fault reported and exits non-zero.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobTestReport } from '../../src/release-check/types.js';
import { REPO_ROOT, runBbrTs } from '../support/cli.js';

const EXAMPLES = path.join(REPO_ROOT, 'scripts-contract', 'examples');
const BROKEN = path.join(REPO_ROOT, 'fixtures', 'broken-jobs');

let lastVcapRoot = '';

/** Runs `job test` with a fresh VCAP_ROOT, the stand-in for /var/vcap the example scripts read. */
async function jobTest(jobDir: string, ...extra: string[]) {
  lastVcapRoot = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-vcap-'));
  // Two --env flags: both must reach the scripts (the example scripts only read VCAP_ROOT).
  return runBbrTs(['job', 'test', jobDir, '--env', 'UNUSED=1', '--env', `VCAP_ROOT=${lastVcapRoot}`, ...extra]);
}

async function jsonReport(jobDir: string, ...extra: string[]): Promise<{ exitCode: number; report: JobTestReport }> {
  const result = await jobTest(jobDir, '--json', ...extra);
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as JobTestReport };
}

describe('job test on good jobs', () => {
  it('passes the notes example, running every script in contract order', async () => {
    const result = await jobTest(path.join(EXAMPLES, 'notes'));
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/PASSED: \d+ passed, 0 failed/);
    // The scripts saw VCAP_ROOT: their data and lock folders are in the scratch root, not in /var/vcap.
    expect(existsSync(path.join(lastVcapRoot, 'store', 'notes'))).toBe(true);
    expect(existsSync(path.join(lastVcapRoot, 'sys', 'run', 'notes', 'writes-paused'))).toBe(false);
    const { report } = await jsonReport(path.join(EXAMPLES, 'notes'));
    expect(report).toMatchObject({ job: 'notes', passed: true });
    const run = report.checks.filter((c) => c.kind === 'run');
    expect(run.map((c) => c.check)).toEqual([
      'pre-backup-lock',
      'backup',
      'backup-wrote-files',
      'post-backup-unlock',
      'post-backup-unlock-idempotent',
      'pre-restore-lock',
      'restore',
      'post-restore-unlock',
      'post-restore-unlock-idempotent',
    ]);
    for (const check of run) expect(check.status).toBe('pass');
    const backup = run.find((c) => c.check === 'backup')!.step!;
    expect(backup.exitCode).toBe(0);
    expect(backup.durationMs).toBeGreaterThanOrEqual(0);
    expect(backup.env.BBR_ARTIFACT_DIRECTORY).toMatch(/\/bbr-backup\/notes\/$/);
    expect(backup.env.ARTIFACT_DIRECTORY).toBe(backup.env.BBR_ARTIFACT_DIRECTORY);
    expect(backup.output).toMatch(/notes: backed up/);
    expect(run.find((c) => c.check === 'post-backup-unlock')!.step!.env).toEqual({ BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: 'true' });
  });

  it('passes the minimal example (backup and restore only)', async () => {
    const result = await jobTest(path.join(EXAMPLES, 'minimal'));
    expect(result.exitCode).toBe(0);
  });

  it('--only lint runs no lock, backup or restore script', async () => {
    const { exitCode, report } = await jsonReport(path.join(EXAMPLES, 'notes'), '--only', 'lint');
    expect(exitCode).toBe(0);
    expect(report.checks.every((c) => c.kind === 'lint')).toBe(true);
    expect(report.checks.map((c) => c.check)).toContain('metadata-schema');
  });
});

// fault folder → [check id that must fail, text that must be in its message]
const FAULTS: Record<string, [string, RegExp][]> = {
  'not-executable': [['script-executable', /backup is not executable/]],
  'no-shebang': [['script-shebang', /restore has no shebang/]],
  'typo-name': [['script-name', /'post-backup-unlok': did you mean 'post-backup-unlock'\?/]],
  'metadata-invalid-yaml': [['metadata-schema', /^metadata printed invalid YAML/]],
  'metadata-wrong-type': [['metadata-schema', /^metadata printed invalid metadata: .*'backup_should_be_locked_before' must be a list/]],
  'metadata-unknown-key': [['metadata-keys', /unknown key 'backup_should_be_locked_befor': did you mean 'backup_should_be_locked_before'/]],
  'metadata-deprecated-key': [['metadata-deprecated', /deprecated key 'backup_name': discontinued/]],
  // Writing nothing is only a warning (release_level_backup: false is legitimate); restoring from it fails.
  'backup-writes-nothing': [['restore', /restore exited with status 2/]],
  'unlock-not-idempotent': [['post-backup-unlock-idempotent', /not idempotent/]],
  'restore-fails': [['restore', /restore exited with status/]],
  'backup-exits-1': [['backup', /backup exited with status 1/]],
  'metadata-fails': [['metadata-runs', /metadata exited with status 1/]],
  'lock-only-lock-fails': [['pre-backup-lock', /pre-backup-lock exited with status 3/]],
  'lock-only-unlock-not-idempotent': [['post-backup-unlock-idempotent', /not idempotent/]],
};

describe('job test on broken jobs', () => {
  for (const [fault, expected] of Object.entries(FAULTS)) {
    it(`reports the fault of ${fault} and exits non-zero`, async () => {
      const { exitCode, report } = await jsonReport(path.join(BROKEN, fault));
      expect(exitCode).toBe(1);
      expect(report.passed).toBe(false);
      const failed = report.checks.filter((c) => c.status === 'fail');
      for (const [check, message] of expected) {
        const found = failed.find((c) => c.check === check);
        expect(found, `${fault}: no failed ${check} check in ${JSON.stringify(failed)}`).toBeDefined();
        expect(found!.message).toMatch(message);
        expect(found!.hint).toBeTruthy();
      }
    });
  }

  it('shows the failing step with its output and next step in the human report', async () => {
    const result = await jobTest(path.join(BROKEN, 'backup-exits-1'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}backup exited with status 1/);
    expect(result.stdout).toMatch(/disk I\/O error/);
    expect(result.stdout).toMatch(/next step:/);
    // Unlock still runs after a failed backup, told that the backup failed.
    expect(result.stdout).toMatch(/writes resumed \(backup successful: false\)/);
    expect(result.stdout).toMatch(/FAILED: /);
  });

  it('shows the output of a failing metadata script in the text report, not only in JSON', async () => {
    const result = await jobTest(path.join(BROKEN, 'metadata-fails'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}metadata exited with status 1\n {8}output:\n {10}notes: cannot read the lock order from .*lock-order\.yml\n {8}next step:/);
  });

  it('warns (and does not fail) on a backup that writes nothing, then runs restore from the empty artifact', async () => {
    const { report } = await jsonReport(path.join(BROKEN, 'backup-writes-nothing'));
    const wrote = report.checks.find((c) => c.check === 'backup-wrote-files')!;
    expect(wrote).toMatchObject({ status: 'warn', message: expect.stringMatching(/wrote nothing/) });
    expect(wrote.hint).toMatch(/release_level_backup: false/);
    expect(report.checks.find((c) => c.check === 'restore')).toMatchObject({ status: 'fail' });
  });

  it('--only lint catches the static faults without running anything', async () => {
    const lint = await jobTest(path.join(BROKEN, 'typo-name'), '--only', 'lint');
    expect(lint.exitCode).toBe(1);
    expect(lint.stdout).not.toMatch(/Contract run/);
    const runtimeFault = await jobTest(path.join(BROKEN, 'restore-fails'), '--only', 'lint');
    expect(runtimeFault.exitCode).toBe(0);
  });

  it('refuses a folder without bin/bbr/', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-nojob-'));
    const result = await runBbrTs(['job', 'test', empty]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/has no bin\/bbr\/ folder/);
  });
});

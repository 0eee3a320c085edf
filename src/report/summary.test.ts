import { describe, expect, it } from 'vitest';
import { BackupError, LockError } from '../errors.js';
import type { RunEvent } from '../orchestrate/events.js';
import { SummaryCollector, hasJobActivity } from './summary.js';
import { formatSummaryTable, LONGEST_LOCK_MARK } from './summary-table.js';

const start: RunEvent = { type: 'run-started', operation: 'backup', deployment: 'd', instances: 2, runId: 'r1', instanceNames: ['db/0', 'web/0'] };
const at = new Date('2026-01-02T03:04:05Z');

function collect(events: RunEvent[]) {
  const collector = new SummaryCollector();
  for (const event of events) collector.add(event, at);
  return collector;
}

const job = (instance: string, name: string, lockedMs: number, backupMs: number, drainMs: number, bytes: number): RunEvent[] => [
  { type: 'script-finished', instance, job: name, script: 'pre-backup-lock', durationMs: 1 },
  { type: 'script-finished', instance, job: name, script: 'backup', durationMs: backupMs },
  { type: 'script-finished', instance, job: name, script: 'post-backup-unlock', durationMs: 1 },
  { type: 'lock-window', instance, job: name, durationMs: lockedMs },
  { type: 'transfer-finished', direction: 'drain', instance, job: name, file: `${name}.tar`, bytes, files: 1, durationMs: drainMs },
];

describe('SummaryCollector', () => {
  it('takes lock windows, backup and drain times and sizes from the events, in manifest order', () => {
    const summary = collect([
      start,
      // Discovery finishes in any order; the summary keeps the manifest's.
      { type: 'instance-discovered', instance: 'web/0', jobs: ['web'], durationMs: 1 },
      { type: 'instance-discovered', instance: 'db/0', jobs: ['db', 'agent'], durationMs: 1 },
      { type: 'script-finished', instance: 'db/0', job: 'db', script: 'metadata', durationMs: 5 },
      ...job('web/0', 'web', 900, 100, 50, 2048),
      ...job('db/0', 'db', 300, 200, 70, 1024),
      { type: 'run-finished', operation: 'backup', exitCode: 0, durationMs: 1500, artifactPath: '/a/d_1' },
    ]).summary();
    expect(summary).toMatchObject({ runId: 'r1', status: 'succeeded', exitCode: 0, artifactPath: '/a/d_1', artifactBytes: 3072, durationMs: 1500 });
    expect(summary.jobs.map((j) => `${j.instance} ${j.job} ${j.lockedMs} ${j.backupMs} ${j.drainMs} ${j.artifactBytes} ${j.result}`)).toEqual([
      'db/0 db 300 200 70 1024 ok',
      'db/0 agent undefined undefined undefined undefined ok',
      'web/0 web 900 100 50 2048 ok',
    ]);
    expect(summary.longestLock).toEqual({ instance: 'web/0', job: 'web', durationMs: 900 });
    expect(hasJobActivity(summary)).toBe(true);
  });

  it('marks failed and undrained jobs and keeps the errors of a failed run', () => {
    const error = new BackupError('backup script of job db failed', { hint: 'look at it' });
    const summary = collect([
      start,
      { type: 'instance-discovered', instance: 'db/0', jobs: ['db'], durationMs: 1 },
      { type: 'instance-discovered', instance: 'web/0', jobs: ['web'], durationMs: 1 },
      { type: 'script-finished', instance: 'db/0', job: 'db', script: 'backup', durationMs: 10, error },
      { type: 'script-finished', instance: 'web/0', job: 'web', script: 'backup', durationMs: 10 },
      { type: 'failure', error },
      { type: 'run-finished', operation: 'backup', exitCode: 1, durationMs: 20 },
    ]).summary();
    expect(summary.status).toBe('failed');
    expect(summary.jobs.map((j) => [j.job, j.result, j.failedScripts])).toEqual([
      ['db', 'failed', ['backup']],
      ['web', 'not drained', []],
    ]);
    expect(summary.errors).toEqual([{ code: 'BBR_BACKUP', message: 'backup script of job db failed', hint: 'look at it', exitBit: 1 }]);
  });

  it('uses the given exit code when the run never started', () => {
    const summary = collect([{ type: 'failure', error: new LockError('x') }]).summary(4);
    expect(summary).toMatchObject({ status: 'failed', exitCode: 4, jobs: [], errors: [{ exitBit: 4 }] });
  });
});

describe('formatSummaryTable', () => {
  it('prints one row per job and marks only the longest lock window', () => {
    const summary = collect([
      start,
      ...job('db/0', 'db', 300, 200, 70, 1024),
      ...job('web/0', 'web', 900, 100, 50, 2048),
      { type: 'run-finished', operation: 'backup', exitCode: 0, durationMs: 1500, artifactPath: '/a/d_1' },
    ]).summary();
    const lines = formatSummaryTable(summary).trimEnd().split('\n');
    expect(lines).toEqual([
      "Summary: backup of 'd' succeeded in 1.50s",
      'instance  job  locked  backup  drain  size     result',
      'db/0      db   0.30s   0.20s   0.07s  1.0 KiB  ok',
      `web/0     web  0.90s   0.10s   0.05s  2.0 KiB  ok  ${LONGEST_LOCK_MARK}`,
      'Longest lock: web/0 web, 0.90s (its users saw downtime for this long)',
      'Artifact: /a/d_1 (2 file(s), 3.0 KiB)',
    ]);
  });

  it('prints only the verdict when no job was worked on (pre-backup-check)', () => {
    const summary = collect([
      { ...start, operation: 'pre-backup-check' },
      { type: 'instance-discovered', instance: 'db/0', jobs: ['db'], durationMs: 1 },
      { type: 'run-finished', operation: 'pre-backup-check', exitCode: 0, durationMs: 10 },
    ]).summary();
    expect(formatSummaryTable(summary)).toBe("Summary: pre-backup-check of 'd' succeeded in 0.01s\n");
  });

  it('keeps skipped artifacts, warnings and whether a failed backup is complete, and shows them in the table', () => {
    const summary = collect([
      start,
      { type: 'warning', message: 'the backup in /a/d_1 is complete' },
      { type: 'artifact-skipped', file: 'web-1-web.tar', instance: 'web/1', job: 'web', reason: 'job web on web/1 has no restore script' },
      { type: 'run-finished', operation: 'backup', exitCode: 8, durationMs: 10, artifactPath: '/a/d_1', artifactComplete: true },
    ]).summary();
    expect(summary).toMatchObject({
      status: 'failed',
      artifactComplete: true,
      warnings: [{ message: 'the backup in /a/d_1 is complete' }],
      skippedArtifacts: [{ file: 'web-1-web.tar', instance: 'web/1', job: 'web', reason: 'job web on web/1 has no restore script' }],
    });
    const table = formatSummaryTable(summary);
    expect(table).toContain('Skipped 1 artifact(s) of the backup that no job restores from:\n  web-1-web.tar: job web on web/1 has no restore script\n');
    expect(table).toContain('Artifact: /a/d_1 (0 file(s), 0 B; complete and restorable)');
    expect(collect([start, { type: 'run-finished', operation: 'backup', exitCode: 0, durationMs: 1 }]).summary()).not.toHaveProperty('skippedArtifacts');
  });
});

import { describe, expect, it } from 'vitest';
import { BackupError, DrainError } from '../errors.js';
import type { RunEvent } from '../orchestrate/events.js';
import { TimelineCollector } from './timeline.js';

const T0 = Date.parse('2026-01-02T03:04:05Z');

/** Feeds [offsetMs, event] pairs as if each event arrived that long after T0. */
function collect(events: [number, RunEvent][]) {
  const collector = new TimelineCollector();
  for (const [ms, event] of events) collector.add(event, T0 + ms);
  return collector.timeline()!;
}

const script = (ms: number, instance: string, job: string, name: string, durationMs: number, extra: { wave?: number; error?: BackupError } = {}): [number, RunEvent][] => [
  [ms, { type: 'script-started', instance, job, script: name, ...(extra.wave === undefined ? {} : { wave: extra.wave }) }],
  [ms + durationMs, { type: 'script-finished', instance, job, script: name, durationMs, ...(extra.error ? { error: extra.error } : {}) }],
];

const start: [number, RunEvent] = [0, { type: 'run-started', operation: 'backup', deployment: 'd', instances: 3, runId: 'r', instanceNames: ['db/0', 'web/0', 'web/1'] }];

/** A backup of db/0 db (lock wave 2) and web/0 web (lock wave 1); web/1 never connects. */
function backupRun(options: { failDrainOfWeb?: boolean } = {}): [number, RunEvent][] {
  const events: [number, RunEvent][] = [
    start,
    [1, { type: 'phase-started', phase: 'connect' }],
    [40, { type: 'instance-connected', instance: 'web/0', address: 'a', durationMs: 30 }],
    [50, { type: 'instance-connected', instance: 'db/0', address: 'a', durationMs: 45 }],
    [60, { type: 'instance-discovered', instance: 'db/0', jobs: ['db'], durationMs: 10 }],
    [90, { type: 'instance-discovered', instance: 'web/0', jobs: ['web'], durationMs: 50 }],
    [91, { type: 'phase-finished', phase: 'connect', durationMs: 90, failures: 0 }],
    [100, { type: 'phase-started', phase: 'lock', jobs: 2 }],
    ...script(100, 'web/0', 'web', 'pre-backup-lock', 20, { wave: 1 }),
    ...script(121, 'db/0', 'db', 'pre-backup-lock', 30, { wave: 2 }),
    [151, { type: 'phase-finished', phase: 'lock', durationMs: 51, failures: 0 }],
    [152, { type: 'phase-started', phase: 'backup', jobs: 2 }],
    ...script(152, 'db/0', 'db', 'backup', 100),
    ...script(152, 'web/0', 'web', 'backup', 10),
    [252, { type: 'phase-finished', phase: 'backup', durationMs: 100, failures: 0 }],
    [253, { type: 'phase-started', phase: 'unlock', jobs: 2 }],
    ...script(253, 'db/0', 'db', 'post-backup-unlock', 10, { wave: 1 }),
    [263, { type: 'lock-window', instance: 'db/0', job: 'db', durationMs: 142 }],
    ...script(264, 'web/0', 'web', 'post-backup-unlock', 6, { wave: 2 }),
    [270, { type: 'lock-window', instance: 'web/0', job: 'web', durationMs: 170 }],
    [271, { type: 'phase-finished', phase: 'unlock', durationMs: 18, failures: 0 }],
    [280, { type: 'phase-started', phase: 'drain', jobs: 2 }],
    [280, { type: 'transfer-started', direction: 'drain', instance: 'db/0', job: 'db', file: 'db.tar' }],
    [281, { type: 'transfer-started', direction: 'drain', instance: 'web/0', job: 'web', file: 'web.tar' }],
    [380, { type: 'transfer-finished', direction: 'drain', instance: 'db/0', job: 'db', file: 'db.tar', bytes: 1, files: 1, durationMs: 100 }],
  ];
  if (options.failDrainOfWeb) events.push([390, { type: 'failure', error: new DrainError('drain of web.tar broke: <b>eof</b>'), instance: 'web/0', job: 'web' }]);
  else events.push([300, { type: 'transfer-finished', direction: 'drain', instance: 'web/0', job: 'web', file: 'web.tar', bytes: 1, files: 1, durationMs: 19 }]);
  events.push(
    [391, { type: 'phase-finished', phase: 'drain', durationMs: 111, failures: options.failDrainOfWeb ? 1 : 0 }],
    [400, { type: 'run-finished', operation: 'backup', exitCode: options.failDrainOfWeb ? 1 : 0, durationMs: 400 }],
  );
  return events;
}

describe('TimelineCollector', () => {
  it('dates every step from the arrival of its events, relative to the run start', () => {
    const timeline = collect(backupRun());
    expect(timeline).toMatchObject({ version: 1, startedAt: '2026-01-02T03:04:05.000Z', durationMs: 400 });
    const db = timeline.rows.find((r) => r.job === 'db')!;
    expect(db.bars.map((b) => `${b.kind} ${b.startMs}-${b.endMs}${b.wave ? ` w${b.wave}` : ''}`)).toEqual([
      'connect 5-50', // start = arrival - durationMs
      'metadata 50-60',
      'lock 121-151 w2',
      'backup 152-252',
      'unlock 253-263 w1',
      'drain 280-380',
    ]);
    // The locked window runs from the lock script's start to the unlock script's end.
    expect(db.locked).toEqual({ startMs: 121, endMs: 263, wave: 2 });
    expect(timeline.rows.find((r) => r.job === 'web')!.locked).toEqual({ startMs: 100, endMs: 270, wave: 1 });
  });

  it('keeps manifest order, groups by instance group, and gives an instance without jobs a row of its own', () => {
    const timeline = collect(backupRun());
    expect(timeline.rows.map((r) => [r.group, r.instance, r.job])).toEqual([
      ['db', 'db/0', 'db'],
      ['web', 'web/0', 'web'],
      ['web', 'web/1', undefined],
    ]);
    expect(timeline.rows[2]!.bars).toEqual([]);
  });

  it('lists lock and unlock waves as they ran', () => {
    expect(collect(backupRun()).waves).toEqual([
      { phase: 'lock', wave: 1, startMs: 100, endMs: 120, jobs: 1 },
      { phase: 'lock', wave: 2, startMs: 121, endMs: 151, jobs: 1 },
      { phase: 'unlock', wave: 1, startMs: 253, endMs: 263, jobs: 1 },
      { phase: 'unlock', wave: 2, startMs: 264, endMs: 270, jobs: 1 },
    ]);
  });

  it('puts the step that ended last of each phase and wave on the critical path, and marks its bars', () => {
    const timeline = collect(backupRun());
    expect(timeline.criticalPath.map((s) => `${s.phase}${s.wave ? ` ${s.wave}` : ''}: ${s.instance ?? '-'} ${s.job ?? '-'}`)).toEqual([
      'connect: web/0 -', // web/0 finished discovery last
      'lock 1: web/0 web',
      'lock 2: db/0 db',
      'backup: db/0 db',
      'unlock 1: db/0 db',
      'unlock 2: web/0 web',
      'drain: db/0 db',
    ]);
    const critical = (job: string) => timeline.rows.find((r) => r.job === job)!.bars.filter((b) => b.critical).map((b) => b.kind);
    expect(critical('db')).toEqual(['lock', 'backup', 'unlock', 'drain']);
    expect(critical('web')).toEqual(['connect', 'metadata', 'lock', 'unlock']);
  });

  it('marks a failed script, keeping its message for the row', () => {
    const error = new BackupError('backup of db failed: <script>alert(1)</script>');
    const events = backupRun().map(([ms, e]): [number, RunEvent] =>
      e.type === 'script-finished' && e.script === 'backup' && e.job === 'db' ? [ms, { ...e, error }] : [ms, e],
    );
    const db = collect(events).rows.find((r) => r.job === 'db')!;
    expect(db.failed).toBe(true);
    expect(db.messages).toEqual([error.message]);
    expect(db.bars.find((b) => b.kind === 'backup')).toMatchObject({ failed: true, message: error.message });
  });

  it('closes a drain that failed at the failure, as failed and unfinished', () => {
    const web = collect(backupRun({ failDrainOfWeb: true })).rows.find((r) => r.job === 'web')!;
    expect(web.bars.find((b) => b.kind === 'drain')).toMatchObject({ startMs: 281, endMs: 390, failed: true, unfinished: true, message: 'drain of web.tar broke: <b>eof</b>' });
    expect(web.failed).toBe(true);
  });

  it('shows an instance that failed to connect or to be discovered on its rows, as a failed bar', () => {
    const timeline = collect([
      start,
      [1, { type: 'phase-started', phase: 'connect' }],
      [30, { type: 'instance-connected', instance: 'db/0', address: 'a', durationMs: 20 }],
      [45, { type: 'failure', error: new BackupError('metadata script of job db failed'), instance: 'db/0' }],
      [60, { type: 'failure', error: new BackupError('cannot connect to web/0'), instance: 'web/0' }],
      [61, { type: 'phase-finished', phase: 'connect', durationMs: 60, failures: 2 }],
      [70, { type: 'run-finished', operation: 'backup', exitCode: 1, durationMs: 70 }],
    ]);
    const row = (instance: string) => timeline.rows.find((r) => r.instance === instance)!;
    expect(row('db/0')).toMatchObject({ failed: true, messages: ['metadata script of job db failed'] });
    expect(row('db/0').bars).toEqual([
      { kind: 'connect', startMs: 10, endMs: 30 },
      { kind: 'metadata', startMs: 30, endMs: 45, failed: true, message: 'metadata script of job db failed' },
    ]);
    // No connection: the bar runs from when connecting began.
    expect(row('web/0').bars).toEqual([{ kind: 'connect', startMs: 1, endMs: 60, failed: true, message: 'cannot connect to web/0', critical: true }]);
    expect(row('web/1')).toMatchObject({ failed: false, bars: [] });
  });

  it('ends bars still running at the end of the run as unfinished', () => {
    const timeline = collect([start, [10, { type: 'script-started', instance: 'db/0', job: 'db', script: 'backup' }], [50, { type: 'run-finished', operation: 'backup', exitCode: 1, durationMs: 50 }]]);
    expect(timeline.rows[0]!.bars).toEqual([{ kind: 'backup', startMs: 10, endMs: 50, unfinished: true }]);
  });

  it('has no timeline when no run started', () => {
    const collector = new TimelineCollector();
    collector.add({ type: 'failure', error: new BackupError('x') }, T0);
    expect(collector.timeline()).toBeUndefined();
  });
});

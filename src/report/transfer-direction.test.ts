// Every renderer names a transfer by the direction its event carries: a restore's uploads are never shown or
// logged as drains.
import { describe, expect, it } from 'vitest';
import { RestoreError } from '../errors.js';
import { createLogger } from '../log.js';
import type { RunEvent } from '../orchestrate/events.js';
import { LiveState } from './live-state.js';
import { logEvents } from './log-events.js';
import { SummaryCollector } from './summary.js';
import { parseSummaryJson, summaryFileContent } from './summary-file.js';
import { formatSummaryTable } from './summary-table.js';
import { TimelineCollector } from './timeline.js';

const where = { direction: 'upload', instance: 'db/0', job: 'db' } as const;
const restoreRun: RunEvent[] = [
  { type: 'run-started', operation: 'restore', deployment: 'd', instances: 2, runId: 'r', instanceNames: ['db/0', 'web/0'] },
  { type: 'instance-discovered', instance: 'db/0', jobs: ['db'], durationMs: 1 },
  { type: 'instance-discovered', instance: 'web/0', jobs: ['web'], durationMs: 1 },
  { type: 'phase-started', phase: 'upload', jobs: 2 },
  { ...where, type: 'transfer-started', file: 'db-0-db.tar', totalBytes: 2048 },
  { ...where, type: 'transfer-progress', bytes: 1024, totalBytes: 2048 },
  { ...where, type: 'transfer-finished', file: 'db-0-db.tar', bytes: 2048, files: 1, durationMs: 1500 },
  { type: 'transfer-started', direction: 'upload', instance: 'web/0', job: 'web', file: 'web-0-web.tar' },
  { type: 'failure', error: new RestoreError('upload of web-0-web.tar broke'), instance: 'web/0', job: 'web' },
  { type: 'phase-finished', phase: 'upload', durationMs: 2000, failures: 1 },
  { type: 'run-finished', operation: 'restore', exitCode: 1, durationMs: 2500 },
];

describe('transfer direction', () => {
  it('logs uploads with step upload', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', format: 'json', destination: { write: (text: string) => lines.push(...text.split('\n').filter(Boolean)) } as never });
    let clock = 0;
    const sink = logEvents(logger, () => (clock += 2000));
    for (const event of restoreRun) sink(event);
    const transfers = lines.map((line) => JSON.parse(line) as { msg: string; step?: string }).filter((e) => e.msg.startsWith('transfer'));
    expect(transfers.map((e) => `${e.msg}: ${e.step}`)).toEqual(['transfer started: upload', 'transfer progress: upload', 'transfer finished: upload', 'transfer started: upload']);
  });

  it('summarises uploads as uploadMs, never drainMs, and shows them in the upload column', () => {
    const collector = new SummaryCollector();
    for (const event of restoreRun) collector.add(event);
    const summary = collector.summary();
    const db = summary.jobs.find((j) => j.job === 'db')!;
    expect(db).toMatchObject({ uploadMs: 1500, artifactBytes: 2048 });
    expect(db.drainMs).toBeUndefined();
    const table = formatSummaryTable(summary).split('\n');
    expect(table[1]).toMatch(/^instance\s+job\s+locked\s+restore\s+upload\s+size/);
    expect(table.find((line) => line.startsWith('db/0'))).toMatch(/^db\/0\s+db\s+-\s+-\s+1\.50s\s+2\.0 KiB/);
  });

  it('keeps schema 1 in --summary-json: a restore job carries its upload time as drainMs too, and reads back as an upload', () => {
    const collector = new SummaryCollector();
    for (const event of restoreRun) collector.add(event);
    const file = JSON.parse(JSON.stringify(summaryFileContent(collector.summary()))) as { schemaVersion: number; jobs: { job: string; drainMs?: number; uploadMs?: number }[] };
    expect(file.schemaVersion).toBe(1);
    expect(file.jobs.find((j) => j.job === 'db')).toMatchObject({ drainMs: 1500, uploadMs: 1500 });
    const read = parseSummaryJson(JSON.stringify(file), 'summary.json');
    expect(read.jobs.find((j) => j.job === 'db')).toMatchObject({ uploadMs: 1500, drainMs: undefined });
  });

  it('draws upload bars, the failed one unfinished', () => {
    const collector = new TimelineCollector();
    restoreRun.forEach((event, i) => collector.add(event, 1000 + i * 100));
    const rows = collector.timeline()!.rows;
    expect(rows.find((r) => r.job === 'db')!.bars.map((b) => b.kind)).toEqual(['metadata', 'upload']);
    expect(rows.find((r) => r.job === 'web')!.bars).toEqual([expect.objectContaining({ kind: 'metadata' }), expect.objectContaining({ kind: 'upload', failed: true, unfinished: true })]);
  });

  it('shows the step of a transfer from its direction, whatever phase the title shows', () => {
    const state = new LiveState();
    state.apply(restoreRun[0]!, 0);
    state.apply({ type: 'phase-started', phase: 'restore' }, 1);
    state.apply({ ...where, type: 'transfer-started', file: 'db-0-db.tar' }, 2);
    expect(state.frame(2).split('\n')).toContainEqual(expect.stringMatching(/^ {2}db\/0\s+upload\s+db/));
  });
});

// Reads a saved --summary-json back (for `bbr-ts report SUMMARY.json --html FILE`). The file may be old,
// edited or hostile: every field is checked for its type and kept only when it is what the writer writes;
// strings stay raw here and are escaped by the renderer. Pure.
import { BbrError } from '../errors.js';
import type { Phase } from '../orchestrate/events.js';
import type { ErrorSummary, JobResult, JobSummary, RunSummary } from './summary.js';
import type { BarKind, CriticalStep, Timeline, TimelineBar, TimelinePhase, TimelineRow, TimelineWave } from './timeline.js';

/** The schema versions this bbr-ts can draw (fields are only ever added within a version). */
const SUPPORTED_SCHEMA = 1;
const KINDS: readonly BarKind[] = ['connect', 'metadata', 'lock', 'backup', 'restore', 'unlock', 'drain', 'upload'];
const RESULTS: readonly JobResult[] = ['ok', 'failed', 'not drained', 'not run'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ms = (v: unknown): number => Math.max(0, num(v) ?? 0);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const objects = (v: unknown): Obj[] => list(v).filter(isObj);

export class SummaryFileError extends BbrError {
  override readonly code = 'BBR_SUMMARY_FILE';
}

export function parseSummaryJson(text: string, file: string): RunSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SummaryFileError(`${file} is not JSON: ${(error as Error).message}`, { hint: 'pass the file a run wrote with --summary-json' });
  }
  if (!isObj(data) || typeof data.schemaVersion !== 'number' || !Array.isArray(data.jobs)) {
    throw new SummaryFileError(`${file} is not a bbr-ts --summary-json file (no schemaVersion or jobs)`, { hint: 'pass the file a run wrote with --summary-json' });
  }
  if (data.schemaVersion > SUPPORTED_SCHEMA) {
    throw new SummaryFileError(`${file} has schemaVersion ${data.schemaVersion}; this bbr-ts reads ${SUPPORTED_SCHEMA}`, { hint: 'draw it with the bbr-ts version that wrote it, or a newer one' });
  }
  const exitCode = num(data.exitCode) ?? 1;
  const longest = isObj(data.longestLock) ? data.longestLock : undefined;
  const drill = isObj(data.drill) ? data.drill : undefined;
  return {
    runId: str(data.runId),
    operation: str(data.operation) as RunSummary['operation'],
    deployment: str(data.deployment),
    dryRun: data.dryRun === true,
    status: exitCode === 0 && data.status === 'succeeded' ? 'succeeded' : 'failed',
    exitCode,
    startedAt: str(data.startedAt),
    finishedAt: str(data.finishedAt),
    durationMs: num(data.durationMs),
    artifactPath: str(data.artifactPath),
    artifactBytes: ms(data.artifactBytes),
    jobs: objects(data.jobs).map(jobOf),
    longestLock: longest && str(longest.instance) !== undefined && str(longest.job) !== undefined ? { instance: str(longest.instance)!, job: str(longest.job)!, durationMs: ms(longest.durationMs) } : undefined,
    errors: objects(data.errors).map(
      (e): ErrorSummary => ({ code: str(e.code) ?? 'BBR_ERROR', message: str(e.message) ?? '', hint: str(e.hint), exitBit: num(e.exitBit) ?? 1 }),
    ),
    ...(drill ? { drill: { passed: drill.passed === true, restoreMs: ms(drill.restoreMs), verifyMs: num(drill.verifyMs), verifyExitCode: num(drill.verifyExitCode) ?? null, verifiedOn: str(drill.verifiedOn) } } : {}),
    ...(isObj(data.timeline) ? { timeline: timelineOf(data.timeline) } : {}),
  };
}

/**
 * The --summary-json document. Schema 1 gave a restore's upload time as `drainMs`; it still does, beside
 * `uploadMs`, so that readers of schema 1 keep working (fields are only ever added).
 */
export function summaryFileContent(summary: RunSummary): { schemaVersion: 1 } & RunSummary {
  const jobs = summary.jobs.map((job) => (job.uploadMs !== undefined && job.drainMs === undefined ? { ...job, drainMs: job.uploadMs } : job));
  return { schemaVersion: 1, ...summary, jobs };
}

function jobOf(j: Obj): JobSummary {
  const result = str(j.result) as JobResult | undefined;
  return {
    instance: str(j.instance) ?? '?',
    job: str(j.job) ?? '?',
    lockedMs: num(j.lockedMs),
    backupMs: num(j.backupMs),
    restoreMs: num(j.restoreMs),
    // A restore's file also holds its upload time as drainMs (schema 1); uploadMs says what it was.
    drainMs: num(j.uploadMs) === undefined ? num(j.drainMs) : undefined,
    uploadMs: num(j.uploadMs),
    artifactFile: str(j.artifactFile),
    artifactBytes: num(j.artifactBytes),
    failedScripts: list(j.failedScripts).filter((s): s is string => typeof s === 'string'),
    result: result && RESULTS.includes(result) ? result : 'failed',
  };
}

function timelineOf(t: Obj): Timeline {
  const span = (o: Obj) => ({ startMs: ms(o.startMs), endMs: Math.max(ms(o.startMs), ms(o.endMs)) });
  const wave = (o: Obj) => (num(o.wave) === undefined ? {} : { wave: Math.trunc(num(o.wave)!) });
  const rows = objects(t.rows).map((r): TimelineRow => {
    const locked = isObj(r.locked) ? { ...span(r.locked), ...wave(r.locked) } : undefined;
    return {
      instance: str(r.instance) ?? '?',
      group: str(r.group) ?? str(r.instance) ?? '?',
      ...(str(r.job) === undefined ? {} : { job: str(r.job) }),
      bars: objects(r.bars)
        .filter((b) => KINDS.includes(b.kind as BarKind))
        .map((b): TimelineBar => ({
          kind: b.kind as BarKind,
          ...span(b),
          ...wave(b),
          ...(b.failed === true ? { failed: true } : {}),
          ...(b.unfinished === true ? { unfinished: true } : {}),
          ...(str(b.message) === undefined ? {} : { message: str(b.message) }),
          ...(b.critical === true ? { critical: true } : {}),
        })),
      ...(locked ? { locked } : {}),
      failed: r.failed === true,
      messages: list(r.messages).filter((m): m is string => typeof m === 'string'),
    };
  });
  return {
    version: 1,
    startedAt: str(t.startedAt) ?? '',
    durationMs: ms(t.durationMs),
    rows,
    phases: objects(t.phases).map((p): TimelinePhase => ({ phase: (str(p.phase) ?? '?') as Phase, ...span(p), failures: ms(p.failures) })),
    waves: objects(t.waves)
      .filter((w) => w.phase === 'lock' || w.phase === 'unlock')
      .map((w): TimelineWave => ({ phase: w.phase as 'lock' | 'unlock', wave: Math.trunc(ms(w.wave)), ...span(w), jobs: ms(w.jobs) })),
    criticalPath: objects(t.criticalPath).map(
      (s): CriticalStep => ({
        phase: (str(s.phase) ?? '?') as Phase,
        ...wave(s),
        ...(str(s.instance) === undefined ? {} : { instance: str(s.instance) }),
        ...(str(s.job) === undefined ? {} : { job: str(s.job) }),
        ...span(s),
      }),
    ),
  };
}

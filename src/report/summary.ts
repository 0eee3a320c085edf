// The run's result computed from its events alone: per job how long it was locked (the downtime its users
// saw), how long its backup script and drain took, artifact sizes, and the longest lock window. Pure.
import type { Operation, PlanDescription, RunEvent } from '../orchestrate/events.js';
import type { Timeline } from './timeline.js';

export type JobResult = 'ok' | 'failed' | 'not drained' | 'not run';

export interface JobSummary {
  instance: string;
  job: string;
  /** From the job's `lock-window` event: lock script start to unlock script end. */
  lockedMs?: number;
  backupMs?: number;
  restoreMs?: number;
  /** From a `transfer-finished` of a drain (backup). */
  drainMs?: number;
  /** From a `transfer-finished` of an upload (restore). */
  uploadMs?: number;
  artifactFile?: string;
  artifactBytes?: number;
  failedScripts: string[];
  result: JobResult;
}

export interface ErrorSummary {
  code: string;
  message: string;
  hint?: string;
  exitBit: number;
}

export interface RunSummary {
  runId?: string;
  operation?: Operation;
  deployment?: string;
  dryRun: boolean;
  status: 'succeeded' | 'failed';
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  artifactPath?: string;
  /** Backup: the artifact holds every artifact, drained and verified (restorable even when exitCode is 8 or 16). */
  artifactComplete?: boolean;
  artifactBytes: number;
  jobs: JobSummary[];
  longestLock?: { instance: string; job: string; durationMs: number };
  errors: ErrorSummary[];
  /** Restore: artifacts of the backup that no job restores from, and why (only when there are some). */
  skippedArtifacts?: { file: string; instance?: string; job?: string; reason: string }[];
  /** Warnings the run printed (only when there are some). */
  warnings?: { message: string; instance?: string; job?: string }[];
  /** What the run planned to do (`--dry-run`). */
  plan?: PlanDescription;
  /** A restore drill's verdict and timings (`drill`). */
  drill?: Omit<Extract<RunEvent, { type: 'drill-finished' }>, 'type'>;
  /** When each job's steps ran, its locked window, the waves and the critical path (--summary-json, --report). */
  timeline?: Timeline;
}

/** Folds events into a RunSummary; feed it every event, ask for the summary at the end. */
export class SummaryCollector {
  private readonly jobs = new Map<string, JobSummary & { ran: string[] }>();
  private readonly errors: ErrorSummary[] = [];
  private readonly skippedArtifacts: NonNullable<RunSummary['skippedArtifacts']> = [];
  private readonly warnings: NonNullable<RunSummary['warnings']> = [];
  private instanceOrder: string[] = [];
  private plan?: PlanDescription;
  private drill?: RunSummary['drill'];
  private started?: Extract<RunEvent, { type: 'run-started' }> & { at: Date };
  private finished?: Extract<RunEvent, { type: 'run-finished' }> & { at: Date };

  add(event: RunEvent, at: Date = new Date()): void {
    switch (event.type) {
      case 'run-started':
        this.started = { ...event, at };
        this.instanceOrder = event.instanceNames ?? [];
        break;
      case 'plan-ready':
        this.plan = event.plan;
        break;
      case 'instance-discovered':
        for (const job of event.jobs) this.job(event.instance, job);
        break;
      case 'script-finished': {
        if (event.script === 'metadata') break;
        const job = this.job(event.instance, event.job);
        job.ran.push(event.script);
        if (event.error) job.failedScripts.push(event.script);
        if (event.script === 'backup') job.backupMs = event.durationMs;
        if (event.script === 'restore') job.restoreMs = event.durationMs;
        break;
      }
      case 'transfer-finished': {
        const job = this.job(event.instance, event.job);
        if (event.direction === 'drain') job.drainMs = event.durationMs;
        else job.uploadMs = event.durationMs;
        job.artifactFile = event.file;
        job.artifactBytes = event.bytes;
        break;
      }
      case 'lock-window':
        this.job(event.instance, event.job).lockedMs = event.durationMs;
        break;
      case 'artifact-skipped': {
        const { type: _type, ...skipped } = event;
        this.skippedArtifacts.push(skipped);
        break;
      }
      case 'warning': {
        const { type: _type, ...warning } = event;
        this.warnings.push(warning);
        break;
      }
      case 'failure':
        this.errors.push({ code: event.error.code, message: event.error.message, hint: event.error.hint, exitBit: event.error.exitBit });
        break;
      case 'drill-finished': {
        const { type: _type, ...drill } = event;
        this.drill = drill;
        break;
      }
      case 'run-finished':
        this.finished = { ...event, at };
        break;
      default:
        break;
    }
  }

  /** `exitCode` is used when no run-finished event arrived (the run failed before it could start). */
  summary(exitCode = 0): RunSummary {
    const code = this.finished?.exitCode ?? exitCode;
    const jobs = this.sortedJobs().map(({ ran, ...job }) => ({ ...job, result: resultOf(job, ran, this.started?.operation, code) }));
    let longestLock: RunSummary['longestLock'];
    for (const job of jobs) {
      if (job.lockedMs !== undefined && (longestLock === undefined || job.lockedMs > longestLock.durationMs)) {
        longestLock = { instance: job.instance, job: job.job, durationMs: job.lockedMs };
      }
    }
    return {
      runId: this.started?.runId,
      operation: this.started?.operation ?? this.finished?.operation,
      deployment: this.started?.deployment,
      dryRun: Boolean(this.started?.dryRun ?? this.finished?.dryRun),
      status: code === 0 ? 'succeeded' : 'failed',
      exitCode: code,
      startedAt: this.started?.at.toISOString(),
      finishedAt: this.finished?.at.toISOString(),
      durationMs: this.finished?.durationMs,
      artifactPath: this.finished?.artifactPath,
      ...(this.finished?.artifactComplete === undefined ? {} : { artifactComplete: this.finished.artifactComplete }),
      artifactBytes: jobs.reduce((sum, job) => sum + (job.artifactBytes ?? 0), 0),
      jobs,
      longestLock,
      errors: this.errors,
      ...(this.skippedArtifacts.length > 0 ? { skippedArtifacts: this.skippedArtifacts } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      ...(this.plan ? { plan: this.plan } : {}),
      ...(this.drill ? { drill: this.drill } : {}),
    };
  }

  private job(instance: string, name: string): JobSummary & { ran: string[] } {
    const key = `${instance}\u0000${name}`;
    let job = this.jobs.get(key);
    if (!job) {
      job = { instance, job: name, failedScripts: [], result: 'ok', ran: [] };
      this.jobs.set(key, job);
    }
    return job;
  }

  /** Manifest order (instances as listed at run start), then discovery order within an instance. */
  private sortedJobs(): (JobSummary & { ran: string[] })[] {
    const rank = (instance: string) => {
      const i = this.instanceOrder.indexOf(instance);
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    return [...this.jobs.values()]
      .map((job, i) => ({ job, i }))
      .sort((a, b) => rank(a.job.instance) - rank(b.job.instance) || a.job.instance.localeCompare(b.job.instance) || a.i - b.i)
      .map(({ job }) => job);
  }
}

function resultOf(job: JobSummary, ran: string[], operation: Operation | undefined, exitCode: number): JobResult {
  if (job.failedScripts.length > 0) return 'failed';
  if (operation === 'backup' && ran.includes('backup') && job.artifactBytes === undefined && exitCode !== 0) return 'not drained';
  if (ran.length === 0 && exitCode !== 0) return 'not run';
  return 'ok';
}

/** True when the run did more than discover: only then is a per-job table worth printing. */
export function hasJobActivity(summary: RunSummary): boolean {
  return !summary.dryRun && summary.jobs.some((job) => job.lockedMs !== undefined || job.backupMs !== undefined || job.restoreMs !== undefined || job.drainMs !== undefined || job.uploadMs !== undefined || job.failedScripts.length > 0);
}

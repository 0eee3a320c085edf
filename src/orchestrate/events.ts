// What a run reports while it goes on. The producer owns the types: orchestrate/ emits these events, and
// report/ imports only these types to render them (plain lines, TTY view, JSON logs, summaries). The core never
// formats output itself.
import type { BbrError } from '../errors.js';

export type Operation =
  | 'backup'
  | 'restore'
  | 'pre-backup-check'
  | 'backup-cleanup'
  | 'restore-cleanup'
  | 'drill';

export type Phase =
  | 'connect'
  | 'discover'
  | 'verify'
  | 'check'
  | 'lock'
  | 'backup'
  | 'unlock'
  | 'drain'
  | 'upload'
  | 'restore'
  | 'cleanup'
  | 'drill-verify';

/** `drain`: an instance's artifact into the store (backup); `upload`: a stored artifact onto an instance (restore). */
export type TransferDirection = 'drain' | 'upload';

export type RunEvent =
  | { type: 'run-started'; operation: Operation; deployment: string; instances: number; runId: string; instanceNames?: string[]; dryRun?: boolean }
  | { type: 'plan-ready'; plan: PlanDescription }
  | { type: 'phase-started'; phase: Phase; jobs?: number }
  | { type: 'phase-finished'; phase: Phase; durationMs: number; failures: number }
  | { type: 'instance-connected'; instance: string; address: string; durationMs: number }
  | { type: 'instance-discovered'; instance: string; jobs: string[]; durationMs: number }
  /** `wave`: the 1-based lock or unlock wave a lock/unlock script runs in (the timeline marks waves with it). */
  | { type: 'script-started'; instance: string; job: string; script: string; wave?: number }
  | { type: 'script-finished'; instance: string; job: string; script: string; durationMs: number; error?: BbrError }
  /** An artifact moving between the artifact store and an instance, in either `direction`. */
  | { type: 'transfer-started'; direction: TransferDirection; instance: string; job: string; file: string; totalBytes?: number }
  | { type: 'transfer-progress'; direction: TransferDirection; instance: string; job: string; bytes: number; totalBytes?: number }
  | { type: 'transfer-finished'; direction: TransferDirection; instance: string; job: string; file: string; bytes: number; files: number; durationMs: number }
  | { type: 'lock-window'; instance: string; job: string; durationMs: number }
  | { type: 'warning'; message: string; instance?: string; job?: string }
  /** Restore: an artifact of the backup that no job restores from (BBR ignores these without a word). */
  | { type: 'artifact-skipped'; file: string; reason: string; instance?: string; job?: string }
  /**
   * `instance` (and `job`): set when the failure belongs to one instance (connecting, discovery) or one job
   * (a drain or an upload) and no script event says so already.
   */
  | { type: 'failure'; error: BbrError; instance?: string; job?: string }
  | { type: 'drill-finished'; passed: boolean; restoreMs: number; verifyMs?: number; verifyExitCode?: number | null; verifiedOn?: string }
  | {
      type: 'run-finished';
      operation: Operation;
      exitCode: number;
      durationMs: number;
      artifactPath?: string;
      /** Backup: every artifact was drained and verified, even if an unlock or the cleanup failed afterwards. */
      artifactComplete?: boolean;
      dryRun?: boolean;
    };

/** A job as plans name it. */
export interface PlannedJob {
  instance: string;
  job: string;
}

/** What a run would do, as plain data (`--dry-run` prints it; JSON logs carry it). */
export interface PlanDescription {
  operation: Operation;
  deployment: string;
  lockScript: string;
  mainScript: string;
  unlockScript: string;
  /** Lock waves in order; jobs within a wave run in parallel. */
  lockWaves: PlannedJob[][];
  /** Jobs whose main script runs, with the artifact file each one drains into (backup). */
  mainJobs: (PlannedJob & { artifactFile?: string })[];
  /** Unlock waves in order (the lock order reversed). */
  unlockWaves: PlannedJob[][];
  /** The local artifact directory the run would create or read. */
  artifactPath?: string;
}

export type EventSink = (event: RunEvent) => void;

/** Fans one event out to several sinks. */
export function allSinks(...sinks: EventSink[]): EventSink {
  return (event) => {
    for (const sink of sinks) sink(event);
  };
}

// Collects a run's failures and reports phases and scripts as events. Workflows return its outcome
// instead of throwing for expected failures; cli/exit.ts turns the failures into text and an exit code.
import { BbrError, CancelledError, exitCodeOf, hintOf, InternalError, remedyOf, ScriptError, UnlockError, type BbrErrorOptions } from '../errors.js';
import type { ScriptName } from '../contract/paths.js';
import type { Phase } from './events.js';
import type { RunContext } from './context.js';
import { asBbrError, type DeployedJob } from './open-deployment.js';
import { runJobScript } from './script-runner.js';

export type PhaseErrorClass = new (message: string, options?: BbrErrorOptions) => BbrError;

/** What a phase tells the operator to do about one of its failures. */
export type Advice = Pick<BbrErrorOptions, 'hint' | 'remedy'>;

export interface RunOutcome {
  failures: BbrError[];
  exitCode: number;
  artifactPath?: string;
  /** Backup only: the artifact directory holds every artifact, drained and verified (it has its normal name). */
  artifactComplete?: boolean;
}

export class RunRecorder {
  readonly failures: BbrError[] = [];
  /** Scripts the interrupt stopped (`the backup script of job 'db' on db/0`), named in the interrupt's message. */
  private readonly cancelledScripts: string[] = [];
  /** The interrupt's advice so far, kept when the message is rewritten to name another stopped script. */
  private cancelledAdvice: Advice | undefined;
  private readonly ctx: RunContext;

  constructor(ctx: RunContext) {
    this.ctx = ctx;
  }

  /** `job` names the job a failure belongs to when no script event says so already (drain, upload). */
  fail(error: unknown, job?: Pick<DeployedJob, 'instance' | 'name'>): void {
    const failure = asBbrError(error);
    this.failures.push(failure);
    this.ctx.events({ type: 'failure', error: failure, ...(job ? { instance: job.instance, job: job.name } : {}) });
  }

  /**
   * Wraps a failure in the phase's error class (which decides the exit bit), keeping the cause. Advice given
   * here (the phase knows what is at stake, e.g. a job left locked) wins over the cause's own.
   */
  failIn(phase: PhaseErrorClass, error: unknown, advice: Advice = {}, job?: Pick<DeployedJob, 'instance' | 'name'>): void {
    if (error instanceof CancelledError) return this.noteCancelled();
    // A lock, backup or restore script stopped by the operator's interrupt did not fail: the interrupt is the
    // news (exit 1, as BBR's), not "a pre-backup-lock failed" (bit 4). An unlock is stopped only when the operator
    // insists, and then the job may still be locked: that stays an unlock failure (bit 8).
    if (error instanceof ScriptError && error.failure.cancelled && phase !== UnlockError) {
      const { script, job, instance } = error.failure;
      this.cancelledScripts.push(`the ${script} script of job '${job}' on ${instance}`);
      return this.recordCancelled();
    }
    const message = error instanceof Error ? error.message : String(error);
    this.fail(new phase(message, { cause: error, hint: advice.hint ?? hintOf(error), remedy: advice.remedy ?? remedyOf(error) }), job);
  }

  /**
   * Records the operator's interrupt once; a later call with more precise advice replaces the first one's. The
   * message names the scripts the interrupt stopped, so the report still says what was running.
   */
  noteCancelled(advice?: Advice): void {
    const index = this.failures.findIndex((f) => f instanceof CancelledError);
    if (index >= 0 && advice === undefined) return;
    if (advice !== undefined) this.cancelledAdvice = advice;
    this.recordCancelled();
  }

  /** Adds the interrupt's failure, or rewrites it with what is known now. */
  private recordCancelled(): void {
    const index = this.failures.findIndex((f) => f instanceof CancelledError);
    const advice = this.cancelledAdvice;
    const reason: unknown = this.ctx.signal.reason;
    const stopped = this.cancelledScripts.length === 0 ? '' : `, which stopped ${this.cancelledScripts.join(', ')}`;
    const message =
      reason instanceof InternalError ? `the run was stopped by an internal error: ${reason.message}${stopped}` : `the run was interrupted by the operator${stopped}`;
    const error = new CancelledError(message, {
      hint: advice?.hint ?? 'check the summary above for jobs that may still be locked; run the matching cleanup command if any are',
      remedy: advice?.remedy,
    });
    if (index >= 0) this.failures[index] = error;
    else this.fail(error);
  }

  async phase<T>(phase: Phase, jobs: number | undefined, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const before = this.failures.length;
    this.ctx.events({ type: 'phase-started', phase, jobs });
    try {
      return await body();
    } finally {
      this.ctx.events({ type: 'phase-finished', phase, durationMs: Date.now() - started, failures: this.failures.length - before });
    }
  }

  /** Runs one job script, reporting its start and end. */
  async script(
    job: DeployedJob,
    script: ScriptName,
    options: { env?: Record<string, string>; signal: AbortSignal; createDirectory?: string; wave?: number },
  ): Promise<void> {
    const started = Date.now();
    this.ctx.events({ type: 'script-started', instance: job.instance, job: job.name, script, ...(options.wave === undefined ? {} : { wave: options.wave }) });
    try {
      await runJobScript(this.ctx, job.handle, { job: job.name, script, env: options.env, signal: options.signal, createDirectory: options.createDirectory });
      this.ctx.events({ type: 'script-finished', instance: job.instance, job: job.name, script, durationMs: Date.now() - started });
    } catch (error) {
      this.ctx.events({
        type: 'script-finished',
        instance: job.instance,
        job: job.name,
        script,
        durationMs: Date.now() - started,
        error: asBbrError(error),
      });
      throw error;
    }
  }

  outcome(artifactPath?: string): RunOutcome {
    return { failures: this.failures, exitCode: exitCodeOf(this.failures), artifactPath };
  }
}

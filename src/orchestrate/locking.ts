// Lock and unlock phases with a ledger of what was lock-attempted, so that once any lock was attempted the
// matching unlocks run (in reverse order) whatever failed in between, including an operator's interrupt.
import type { ScriptName } from '../contract/paths.js';
import { LockError, remedyStep, UnlockError, type Remedy } from '../errors.js';
import type { RunContext } from './context.js';
import type { DeployedJob } from './open-deployment.js';
import type { ScriptPlan } from './plan.js';
import type { PhaseErrorClass, RunRecorder } from './recorder.js';
import { runWaves } from './run-waves.js';

export class LockLedger {
  readonly attempted = new Set<DeployedJob>();
  readonly lockedAt = new Map<DeployedJob, number>();
  readonly unlocked = new Set<DeployedJob>();
  started = false;

  /** Jobs whose lock was attempted and whose unlock script did not succeed: what may still be locked. */
  stillLocked(unlockScript: ScriptName): DeployedJob[] {
    return [...this.attempted].filter((job) => job.scripts.has(unlockScript) && !this.unlocked.has(job));
  }
}

export interface LockPhaseOptions {
  /** BBR compat: a pre-restore-lock failure is generic, not a lock failure (orchestrator/pre_restore_lock_step.go). */
  lockErrorClass?: PhaseErrorClass;
}

/** Runs lock waves in order. Resolves true when every lock succeeded. */
export async function lockJobs(
  ctx: RunContext,
  rec: RunRecorder,
  plan: ScriptPlan,
  ledger: LockLedger,
  options: LockPhaseOptions = {},
): Promise<boolean> {
  ledger.started = true;
  const errorClass = options.lockErrorClass ?? LockError;
  const jobs = plan.lockWaves.flat().length;
  const waveOf = waveNumbers(plan.lockWaves);
  return rec.phase('lock', jobs, async () => {
    const outcomes = await runWaves(
      plan.lockWaves,
      async (job) => {
        ledger.attempted.add(job);
        ledger.lockedAt.set(job, Date.now());
        await rec.script(job, plan.lockScript, { signal: ctx.signal, wave: waveOf.get(job) });
      },
      { parallelism: ctx.parallelism, signal: ctx.signal },
    );
    for (const o of outcomes) if (o.error !== undefined) rec.failIn(errorClass, o.error);
    if (ctx.signal.aborted) rec.noteCancelled();
    return outcomes.every((o) => o.started && o.error === undefined);
  });
}

/**
 * Runs unlock waves in reverse lock order under the force signal (not the operator's interrupt). A job whose
 * lock script never ran is not unlocked; jobs without a lock script are (unlock scripts must be idempotent).
 */
export async function unlockJobs(
  ctx: RunContext,
  rec: RunRecorder,
  plan: ScriptPlan,
  ledger: LockLedger,
  env: Record<string, string> = {},
  /** What to advise when an unlock fails. */
  remedy?: Remedy,
): Promise<boolean> {
  const waves = plan.unlockWaves
    .map((wave) => wave.filter((job) => ledger.attempted.has(job) || !job.scripts.has(plan.lockScript)))
    .filter((wave) => wave.length > 0);
  const waveOf = waveNumbers(waves);
  return rec.phase('unlock', waves.flat().length, async () => {
    const outcomes = await runWaves(
      waves,
      async (job) => {
        try {
          await rec.script(job, plan.unlockScript, { env, signal: ctx.forceSignal, wave: waveOf.get(job) });
          ledger.unlocked.add(job);
        } finally {
          const lockedAt = ledger.lockedAt.get(job);
          if (lockedAt !== undefined) ctx.events({ type: 'lock-window', instance: job.instance, job: job.name, durationMs: Date.now() - lockedAt });
        }
      },
      { parallelism: ctx.parallelism, signal: ctx.forceSignal },
    );
    for (const o of outcomes) {
      if (o.error === undefined) continue;
      const again = remedy ? `, then run ${remedyStep(remedy)} to unlock it` : '';
      const hint = `job '${o.item.name}' on ${o.item.instance} may still be LOCKED: fix what its ${plan.unlockScript} script reports${again}`;
      rec.failIn(UnlockError, o.error, { hint, remedy });
    }
    return outcomes.every((o) => o.started && o.error === undefined);
  });
}

/** Each job's 1-based wave number, for the events (reports mark lock waves with it). */
function waveNumbers(waves: readonly (readonly DeployedJob[])[]): Map<DeployedJob, number> {
  return new Map(waves.flatMap((wave, i) => wave.map((job) => [job, i + 1] as const)));
}

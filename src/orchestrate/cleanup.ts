// backup-cleanup and restore-cleanup (bbr-contract.md §3.5): after a run that died half-way, unlock every
// job in reverse lock order and remove the remote artifact root everywhere. Safe to run any number of times.
import type { Remedy } from '../errors.js';
import type { RunContext } from './context.js';
import { LockLedger, unlockJobs } from './locking.js';
import type { OpenDeployment } from './open-deployment.js';
import { tryPlanScripts, type Direction } from './plan.js';
import { RunRecorder, type RunOutcome } from './recorder.js';
import { cleanUpInstances } from './remote-artifacts.js';

export interface CleanupOptions {
  deploymentName: string;
  /** Director mode matches lock order by job name only, as BBR does. */
  withReleases: boolean;
}

/** Unlocks with BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL=false, then removes leftover remote artifact directories. */
export function backupCleanup(ctx: RunContext, deployment: OpenDeployment, options: CleanupOptions): Promise<RunOutcome> {
  return cleanUp(ctx, deployment, options, 'backup', 'backup-cleanup');
}

/** Runs post-restore-unlock one job at a time (BBR's serial restore executor), then removes leftovers. */
export function restoreCleanup(ctx: RunContext, deployment: OpenDeployment, options: CleanupOptions): Promise<RunOutcome> {
  return cleanUp({ ...ctx, parallelism: 1 }, deployment, options, 'restore', 'restore-cleanup');
}

/** `itself` is the command being run: when part of it fails, running it again is the remedy. */
async function cleanUp(ctx: RunContext, deployment: OpenDeployment, options: CleanupOptions, direction: Direction, itself: Remedy): Promise<RunOutcome> {
  const rec = new RunRecorder(ctx);
  // A cyclic lock order gives no safe unlock order; it is reported and the leftovers are still removed below.
  const { plan, failures } = tryPlanScripts(deployment.jobs, direction, { withReleases: options.withReleases });
  failures.forEach((f) => rec.fail(f));
  if (plan) {
    // We cannot know which jobs a dead run locked: treat every job as possibly locked (unlock scripts are
    // idempotent by contract).
    const ledger = new LockLedger();
    plan.lockWaves.flat().forEach((job) => ledger.attempted.add(job));
    const env: Record<string, string> = direction === 'backup' ? { BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: 'false' } : {};
    await unlockJobs(ctx, rec, plan, ledger, env, itself);
  }
  await cleanUpInstances(ctx, rec, deployment.instances.map((i) => i.handle), { remedy: itself, afterDeadRun: true });
  // The first Ctrl-C does not stop a cleanup (it only unlocks and removes); only a forced stop cuts it short.
  // Either way the run reports the interrupt and exits non-zero, as every interrupted run does.
  if (ctx.forceSignal.aborted) rec.noteCancelled();
  else if (ctx.signal.aborted) {
    rec.noteCancelled({ hint: 'the cleanup still ran to the end: the lines above say whether every job was unlocked and every remote artifact directory removed' });
  }
  return rec.outcome();
}

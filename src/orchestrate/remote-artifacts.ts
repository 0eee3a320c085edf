// The remote artifact root /var/vcap/store/bbr-backup: a leftover one blocks backup and restore (BBR
// compat), and every run removes what it created.
import { REMOTE_ARTIFACT_ROOT } from '../contract/paths.js';
import { CleanupError, CleanupPreviousError, PreconditionError, remedyStep, type BbrError, type Remedy } from '../errors.js';
import type { RunContext } from './context.js';
import type { Instance } from './instance.js';
import type { RunRecorder } from './recorder.js';
import { runAll } from './run-waves.js';

/** One PreconditionError per instance that still has the directory (discovery looked for it). */
export function findLeftoverArtifactDirs(
  instances: readonly { handle: Instance; artifactRootExists: boolean }[],
  remedy: Remedy,
): BbrError[] {
  return instances
    .filter((instance) => instance.artifactRootExists)
    .map(
      ({ handle }) =>
        new PreconditionError(`directory ${REMOTE_ARTIFACT_ROOT} already exists on instance ${handle.name}`, {
          hint: `an earlier run did not finish; run ${remedyStep(remedy)} to remove it and unlock jobs`,
          remedy,
        }),
    );
}

export interface CleanupPhaseOptions {
  remedy: Remedy;
  /**
   * backup-cleanup / restore-cleanup, after a run that died (`remedy` is the command itself): a failure is
   * generic (BBR compat, orchestrator/cleanup_previous_step.go), not the cleanup bit 16 that ends a backup or restore.
   */
  afterDeadRun?: boolean;
}

/**
 * The cleanup phase that ends backup, restore, backup-cleanup and restore-cleanup: removes the remote artifact
 * root on each instance, under the force signal (an interrupted run still cleans up), and records each failure.
 */
export async function cleanUpInstances(ctx: RunContext, rec: RunRecorder, instances: readonly Instance[], options: CleanupPhaseOptions): Promise<void> {
  const { remedy } = options;
  await rec.phase('cleanup', instances.length, async () => {
    const outcomes = await runAll(instances, (instance) => instance.removeArtifacts(undefined, ctx.forceSignal), {
      parallelism: ctx.parallelism,
      signal: ctx.forceSignal,
    });
    for (const o of outcomes) {
      if (o.error === undefined && o.started) continue;
      const why = o.error instanceof Error ? o.error.message : options.afterDeadRun ? 'not attempted (interrupted)' : 'not attempted';
      const message = `failed to remove ${REMOTE_ARTIFACT_ROOT} on instance ${o.item.name}: ${why}`;
      rec.fail(
        options.afterDeadRun
          ? new CleanupPreviousError(message, { cause: o.error, hint: `check the instance, then run ${remedyStep(remedy)} again (it is safe to repeat)`, remedy })
          : new CleanupError(message, { cause: o.error, hint: `run ${remedyStep(remedy)} once the instance is reachable`, remedy }),
      );
    }
  });
}

// The remote artifact root /var/vcap/store/bbr-backup: a leftover one blocks backup and restore (BBR
// compat), and every run removes what it created.
import { asRoot } from '../contract/as-root.js';
import { REMOTE_ARTIFACT_ROOT } from '../contract/paths.js';
import { CleanupError, PreconditionError, remedyStep, type BbrError, type Remedy } from '../errors.js';
import { succeeded, whyFailed, type RemoteShell } from '../ssh/index.js';
import type { RunContext } from './context.js';
import type { RunRecorder } from './recorder.js';
import { runAll } from './run-waves.js';

/** One PreconditionError per instance that still has the directory (discovery looked for it). */
export function findLeftoverArtifactDirs(
  instances: readonly { shell: RemoteShell; artifactRootExists: boolean }[],
  remedy: Remedy,
): BbrError[] {
  return instances
    .filter((instance) => instance.artifactRootExists)
    .map(
      ({ shell }) =>
        new PreconditionError(`directory ${REMOTE_ARTIFACT_ROOT} already exists on instance ${shell.instance}`, {
          hint: `an earlier run did not finish; run ${remedyStep(remedy)} to remove it and unlock jobs`,
          remedy,
        }),
    );
}

/** Removes the remote artifact root on each instance; returns a CleanupError per instance that failed. */
export async function removeRemoteArtifacts(
  shells: readonly RemoteShell[],
  options: { parallelism: number; signal: AbortSignal; remedy: Remedy },
): Promise<CleanupError[]> {
  const outcomes = await runAll(
    shells,
    async (shell) => {
      // Bounded by the command timeout: a hung rm must not keep the run (or an interrupted one) alive.
      const result = await shell.exec(asRoot(shell, ['rm', '-rf', REMOTE_ARTIFACT_ROOT]), { signal: options.signal });
      if (!succeeded(result)) throw new Error(whyFailed(result));
    },
    { parallelism: options.parallelism, signal: options.signal },
  );
  return outcomes
    .filter((o) => o.error !== undefined || !o.started)
    .map(
      (o) =>
        new CleanupError(`failed to remove ${REMOTE_ARTIFACT_ROOT} on instance ${o.item.instance}: ${o.error instanceof Error ? o.error.message : 'not attempted'}`, {
          cause: o.error,
          hint: `run ${remedyStep(options.remedy)} once the instance is reachable`,
          remedy: options.remedy,
        }),
    );
}

/**
 * The cleanup phase that ends backup and restore: removes the remote artifact root on every instance the run
 * touched, under the force signal (an interrupted run still cleans up), and records each failure (exit bit 16).
 */
export async function cleanUpTouchedInstances(
  ctx: RunContext,
  rec: RunRecorder,
  touched: ReadonlySet<RemoteShell>,
  remedy: Remedy,
): Promise<void> {
  await rec.phase('cleanup', touched.size, async () => {
    const failures = await removeRemoteArtifacts([...touched], { parallelism: ctx.parallelism, signal: ctx.forceSignal, remedy });
    failures.forEach((f) => rec.fail(f));
  });
}

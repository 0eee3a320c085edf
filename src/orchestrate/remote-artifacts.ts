// The remote artifact root /var/vcap/store/bbr-backup: a leftover one blocks backup and restore (BBR
// compat), and every run removes what it created.
import { asRoot } from '../contract/as-root.js';
import { REMOTE_ARTIFACT_ROOT } from '../contract/paths.js';
import { CleanupError, ConnectionError, PreconditionError, type BbrError } from '../errors.js';
import type { RemoteShell } from '../ssh/index.js';
import { runAll } from './run-waves.js';

/** One PreconditionError per instance that still has the directory (or could not be checked). */
export async function findLeftoverArtifactDirs(
  shells: readonly RemoteShell[],
  options: { parallelism: number; signal: AbortSignal; cleanupCommand: string },
): Promise<BbrError[]> {
  const failures: BbrError[] = [];
  const outcomes = await runAll(
    shells,
    async (shell) => {
      const result = await shell.exec(asRoot(shell, ['test', '-e', REMOTE_ARTIFACT_ROOT]), { signal: options.signal });
      if (result.exitCode === 0) {
        failures.push(
          new PreconditionError(`directory ${REMOTE_ARTIFACT_ROOT} already exists on instance ${shell.instance}`, {
            hint: `an earlier run did not finish; run \`${options.cleanupCommand}\` to remove it and unlock jobs`,
          }),
        );
      } else if (result.exitCode !== 1) {
        throw new ConnectionError(`checking ${REMOTE_ARTIFACT_ROOT} on instance ${shell.instance} failed (exit ${result.exitCode ?? result.signal ?? 'status missing'}): ${result.stderrTail.trim()}`);
      }
    },
    { parallelism: options.parallelism, signal: options.signal },
  );
  for (const o of outcomes) if (o.error instanceof ConnectionError) failures.push(o.error);
  return failures;
}

/** Removes the remote artifact root on each instance; returns a CleanupError per instance that failed. */
export async function removeRemoteArtifacts(
  shells: readonly RemoteShell[],
  options: { parallelism: number; signal: AbortSignal; cleanupCommand: string },
): Promise<CleanupError[]> {
  const outcomes = await runAll(
    shells,
    async (shell) => {
      const result = await shell.exec(asRoot(shell, ['rm', '-rf', REMOTE_ARTIFACT_ROOT]), { signal: options.signal });
      if (result.exitCode !== 0) throw new Error(result.stderrTail.trim() || `exit ${result.exitCode}`);
    },
    { parallelism: options.parallelism, signal: options.signal },
  );
  return outcomes
    .filter((o) => o.error !== undefined || !o.started)
    .map(
      (o) =>
        new CleanupError(`failed to remove ${REMOTE_ARTIFACT_ROOT} on instance ${o.item.instance}: ${o.error instanceof Error ? o.error.message : 'not attempted'}`, {
          cause: o.error,
          hint: `run \`${options.cleanupCommand}\` once the instance is reachable`,
        }),
    );
}

// pre-backup-check: exactly the checks backup makes before locking anything, and nothing else.
import { checkBackupable, type BackupOptions } from './backup.js';
import type { RunContext } from './context.js';
import type { OpenDeployment } from './open-deployment.js';
import { RunRecorder, type RunOutcome } from './recorder.js';

export async function preBackupCheck(
  ctx: RunContext,
  deployment: OpenDeployment,
  options: Pick<BackupOptions, 'deploymentName' | 'withReleases'>,
): Promise<RunOutcome> {
  const rec = new RunRecorder(ctx);
  const checked = await rec.phase('check', undefined, () => checkBackupable(ctx, deployment, options));
  checked.failures.forEach((f) => rec.fail(f));
  return rec.outcome();
}

// `backup --dry-run`: connect, discover (metadata scripts are read-only by contract), make the checks of
// pre-backup-check and report the plan. No lock, backup or unlock script runs and nothing is written.
import { artifactDirectoryName } from '../artifact/file-names.js';
import { checkBackupable, type BackupOptions } from './backup.js';
import type { RunContext } from './context.js';
import type { OpenDeployment } from './open-deployment.js';
import { describePlan } from './plan.js';
import { RunRecorder, type RunOutcome } from './recorder.js';

export async function planBackup(
  ctx: RunContext,
  deployment: OpenDeployment,
  options: Pick<BackupOptions, 'deploymentName' | 'withReleases' | 'store' | 'now'>,
): Promise<RunOutcome> {
  const rec = new RunRecorder(ctx);
  const checked = await rec.phase('check', undefined, () => checkBackupable(ctx, deployment, options));
  checked.failures.forEach((f) => rec.fail(f));
  // The plan is shown even when a check fails: it helps to see what the run would have done.
  if (checked.plan) {
    const now = options.now ?? (() => new Date());
    const artifactPath = options.store.describeNew(artifactDirectoryName(options.deploymentName, now()));
    ctx.events({ type: 'plan-ready', plan: describePlan(checked.plan, { operation: 'backup', deployment: options.deploymentName, artifactPath }) });
  }
  return rec.outcome();
}

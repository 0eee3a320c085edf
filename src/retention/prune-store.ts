// `artifact prune` on object storage: the same policy as for local paths (policy.ts), on the store's listing
// (a backup is complete when its metadata exists; failed ones carry a marker; the rest are incomplete).
import { UsageError } from '../errors.js';
import type { ArtifactStore } from '../orchestrate/artifact-store.js';
import { CancelledError } from '../errors.js';
import { applyKeepPolicy, type BackupEntry, type Decision } from './policy.js';
import type { PruneOptions, PruneStep } from './prune.js';

export async function pruneStore(store: ArtifactStore, options: PruneOptions): Promise<{ steps: PruneStep[]; failures: unknown[] }> {
  const remove = store.removeBackup?.bind(store);
  if (!remove) throw new UsageError(`${store.location} cannot be pruned this way`, { hint: 'pass a local folder or an s3:// location' });
  const entries: BackupEntry[] = [];
  for (const b of await store.list(options.signal)) {
    if (b.deployment === undefined || b.time === undefined) continue;
    if (options.deployment !== undefined && b.deployment !== options.deployment) continue;
    entries.push({ name: b.name, deployment: b.deployment, time: b.time, state: b.status });
  }
  const steps: PruneStep[] = [];
  const failures: unknown[] = [];
  for (const decision of applyKeepPolicy(entries, options.policy) as Decision[]) {
    let step: PruneStep = { decision };
    if (!decision.keep && !options.dryRun) {
      try {
        if (options.signal.aborted) throw new CancelledError(`${decision.entry.name} was not removed: interrupted`, { hint: 'run the same prune again' });
        await remove(decision.entry.name, options.signal);
      } catch (error) {
        failures.push(error);
        step = { decision, error };
      }
    }
    steps.push(step);
    options.onStep(step);
  }
  return { steps, failures };
}

// `artifact prune` on object storage: the same policy as for local paths (policy.ts), on the store's listing
// (a backup is complete when its metadata exists; failed ones carry a marker; the rest are incomplete).
import { UsageError } from '../errors.js';
import type { ArtifactStore } from '../orchestrate/artifact-store.js';
import { applyKeepPolicy, type BackupEntry, type Decision } from './policy.js';
import { carryOut, type PruneOptions, type PruneStep } from './prune.js';

export async function pruneStore(store: ArtifactStore, options: PruneOptions): Promise<{ steps: PruneStep[]; failures: unknown[] }> {
  const remove = store.removeBackup?.bind(store);
  if (!remove) throw new UsageError(`${store.location} cannot be pruned this way`, { hint: 'pass a local folder or an s3:// location' });
  const entries: BackupEntry[] = [];
  for (const b of await store.list(options.signal)) {
    if (b.deployment === undefined || b.time === undefined) continue;
    if (options.deployment !== undefined && b.deployment !== options.deployment) continue;
    entries.push({ name: b.name, deployment: b.deployment, time: b.time, state: b.status });
  }
  return carryOut(applyKeepPolicy(entries, options.policy) as Decision[], remove, options);
}

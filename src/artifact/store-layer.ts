// A layer over an artifact store (compression, encryption) changes how a new backup's files are written and
// nothing else: every other member is the inner store's. Stores are class instances, so a spread would drop
// their methods; each member is delegated here, once, optional ones included.
import type { ArtifactStore, NewBackup } from '../orchestrate/artifact-store.js';

export function layerOverStore(inner: ArtifactStore, wrap: (backup: NewBackup) => NewBackup): ArtifactStore {
  const removeBackup = inner.removeBackup;
  return {
    location: inner.location,
    checkWritable: (signal) => inner.checkWritable(signal),
    describeNew: (name) => inner.describeNew(name),
    create: async (name) => wrap(await inner.create(name)),
    backup: () => inner.backup(),
    list: (signal) => inner.list(signal),
    ...(removeBackup ? { removeBackup: (name: string, signal?: AbortSignal) => removeBackup.call(inner, name, signal) } : {}),
  };
}

// A layer over an artifact store (compression, encryption) changes how a backup's files are written and read
// back, and nothing else: every other member is the inner store's. Stores are class instances, so a spread would drop
// their methods; each member is delegated here, once, optional ones included.
import type { Readable } from 'node:stream';
import type { ArtifactStore, NewBackup, StoredBackup } from '../orchestrate/artifact-store.js';

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

export interface ReadingLayer {
  /** What the layer appends to a file's name (`.gz`, `.age`). */
  suffix: string;
  /** The files the layer wrote, by plain name, with the plain size recorded for each. */
  files: Readonly<Record<string, { plaintextBytes: number }>>;
  /** The plain bytes of `file`, from the stored bytes of `file + suffix`. */
  decode(file: string, stored: Readable): Readable;
}

/**
 * The backup as plain files: `<name>` reads `<name><suffix>` through the layer when the layer wrote it, and the
 * inner backup's file of that name otherwise (metadata, and files written before the layer existed).
 */
export function layerUnderBackup(inner: StoredBackup, layer: ReadingLayer): StoredBackup {
  const layered = (file: string) => Object.hasOwn(layer.files, file);
  const plainSize = (file: string) => layer.files[file]!.plaintextBytes;
  const stored = (file: string) => file + layer.suffix;
  return {
    location: inner.location,
    cheapToRead: inner.cheapToRead,
    notComplete: () => inner.notComplete(),
    readMetadata: (hint) => inner.readMetadata(hint),
    describe: (file) => inner.describe(layered(file) ? stored(file) : file),
    size: async (file) => (layered(file) && (await inner.hasFile(stored(file))) ? plainSize(file) : inner.size(file)),
    hasFile: async (file) => (layered(file) ? inner.hasFile(stored(file)) : inner.hasFile(file)),
    async openChecked(file, hint, signal) {
      if (!layered(file)) return inner.openChecked(file, hint, signal);
      const opened = await inner.openChecked(stored(file), hint, signal);
      return { size: plainSize(file), stream: layer.decode(file, opened.stream) };
    },
    open: (file, signal) => (layered(file) ? layer.decode(file, inner.open(stored(file), signal)) : inner.open(file, signal)),
    listTars: async () => [...new Set([...(await inner.listTars()), ...Object.keys(layer.files).filter((file) => file.endsWith('.tar'))])],
  };
}

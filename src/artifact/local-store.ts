// The artifact store on a local (or mounted) folder: the layout BBR writes. A backup is written under a
// '.partial' name and renamed into place when complete, or to '.failed' (local-directory.ts).
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactError } from '../errors.js';
import { parseBackupName } from './file-names.js';
import { type ArtifactStore, type ListedBackup, type NewBackup, type StoredBackup } from '../orchestrate/artifact-store.js';
import { createFileSink } from './file-sink.js';
import { createArtifactDirectory, FAILED_SUFFIX, PARTIAL_SUFFIX } from './local-directory.js';
import { acquireRunLock } from './run-lock.js';
import { MAX_METADATA_BYTES, openRegularFile, readRegularFile } from './read-input-file.js';

export function localStore(artifactPath: string): ArtifactStore {
  const parent = path.resolve(artifactPath);
  return {
    location: parent,
    // The folder is checked when the backup directory is created, as before object storage existed.
    checkWritable: async () => [],
    describeNew: (name) => path.join(parent, name),
    async create(name): Promise<NewBackup> {
      const directory = await createArtifactDirectory(parent, name);
      return {
        get location() {
          return directory.workPath;
        },
        describe: (file) => directory.filePath(file),
        // Exclusive: two jobs writing one file name would otherwise overwrite each other.
        createArtifact: (file, onWriteError) => createFileSink(directory.filePath(file), { exclusive: true, onWriteError }),
        writeMetadata: (metadata) => directory.writeMetadata(metadata),
        writeManifest: (text) => directory.writeManifest(text),
        finish: (succeeded) => directory.finish(succeeded),
      };
    },
    backup: () => localBackup(parent),
    list: () => listLocal(parent),
    acquireRunLock: (deployment, report) => acquireRunLock(parent, deployment, report),
  };
}

export function localBackup(directory: string): StoredBackup {
  const dir = path.resolve(directory);
  const file = (name: string) => path.join(dir, name);
  return {
    location: dir,
    describe: file,
    cheapToRead: true,
    async notComplete() {
      const base = path.basename(dir);
      if (base.endsWith(PARTIAL_SUFFIX) || base.endsWith(FAILED_SUFFIX)) {
        const how = base.endsWith(PARTIAL_SUFFIX) ? 'is still being written or was interrupted' : 'is from a backup that failed';
        return new ArtifactError(`${dir} ${how} (its name ends in ${base.endsWith(PARTIAL_SUFFIX) ? PARTIAL_SUFFIX : FAILED_SUFFIX})`, {
          hint: 'restore a backup that completed: its directory is named <deployment>_<timestamp> without a suffix',
        });
      }
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory()) {
        return new ArtifactError(`backup directory ${dir} does not exist or is not a directory`, { hint: 'pass the <deployment>_<timestamp> directory a backup created' });
      }
      return undefined;
    },
    readMetadata: (hint) => readRegularFile(file('metadata'), { maxBytes: MAX_METADATA_BYTES, hint }),
    size: async (name) => (await stat(file(name)).catch(() => undefined))?.size,
    hasFile: async (name) => (await stat(file(name)).catch(() => undefined))?.isFile() ?? false,
    async openChecked(name, hint) {
      // A FIFO or device in place of a tar is refused, not read (which would block or never end).
      const opened = await openRegularFile(file(name), hint);
      return { size: opened.info.size, stream: opened.handle.createReadStream() };
    },
    open: (name) => createReadStream(file(name)),
    listTars: async () => (await readdir(dir)).filter((name) => name.endsWith('.tar')),
  };
}

async function listLocal(parent: string): Promise<ListedBackup[]> {
  let entries;
  try {
    entries = await readdir(parent, { withFileTypes: true });
  } catch (error) {
    throw new ArtifactError(`cannot list ${parent}: ${(error as Error).message}`, { cause: error, hint: 'pass the folder backups were written into (--artifact-path of backup)' });
  }
  const listed: ListedBackup[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const status = entry.name.endsWith(FAILED_SUFFIX) ? 'failed' : entry.name.endsWith(PARTIAL_SUFFIX) ? 'incomplete' : undefined;
    const name = status ? entry.name.slice(0, -(status === 'failed' ? FAILED_SUFFIX : PARTIAL_SUFFIX).length) : entry.name;
    const parsed = parseBackupName(name);
    if (!parsed) continue;
    const dir = path.join(parent, entry.name);
    let bytes = 0;
    let hasMetadata = false;
    for (const child of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!child.isFile()) continue;
      if (child.name === 'metadata') hasMetadata = true;
      bytes += (await stat(path.join(dir, child.name)).catch(() => undefined))?.size ?? 0;
    }
    listed.push({ name, location: dir, deployment: parsed.deployment, time: parsed.time, bytes, status: status ?? (hasMetadata ? 'complete' : 'incomplete') });
  }
  return listed.sort((a, b) => a.time!.getTime() - b.time!.getTime() || a.name.localeCompare(b.name));
}

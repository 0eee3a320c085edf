// Compression at rest as a layer over an artifact store (`backup --compress gzip`): each artifact is stored as
// `<name>.tar.gz` (then `.tar.gz.age` when encryption is asked too: this layer sits above the encrypting one),
// with `compression.json` recording each file's plaintext size. `metadata` keeps the SHA-256 of the plaintext tar
// entries. Reading decompresses on the fly and refuses to expand a file beyond its recorded size (a gzip bomb).
import { createGunzip, createGzip, constants as zlib } from 'node:zlib';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactError } from '../errors.js';
import { layerOverStore, layerUnderBackup } from './store-layer.js';
import { writableThrough } from './writable-through.js';
import type { ArtifactStore, NewBackup, StoredBackup } from '../orchestrate/artifact-store.js';

export const COMPRESSION_FILE = 'compression.json';
export const COMPRESSIONS = ['gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface CompressionRecord {
  format: 'gzip';
  /** Plain name (`web-0-app.tar`) -> stored as `<name>.gz`. */
  files: Record<string, { plaintextBytes: number }>;
}

export function compressingStore(inner: ArtifactStore): ArtifactStore {
  return layerOverStore(inner, compressingBackup);
}

function compressingBackup(inner: NewBackup): NewBackup {
  const record: CompressionRecord = { format: 'gzip', files: {} };
  const stored = (file: string) => (file.endsWith('.tar') ? file + '.gz' : file);
  return {
    get location() {
      return inner.location;
    },
    describe: (file) => inner.describe(stored(file)),
    createArtifact(file, onWriteError) {
      if (!file.endsWith('.tar')) return inner.createArtifact(file, onWriteError);
      const sink = inner.createArtifact(stored(file), onWriteError);
      // Level 1: the drain is CPU-bound already; most of gzip's gain on dumps comes at the lowest level.
      const gzip = createGzip({ level: 1, memLevel: 9, strategy: zlib.Z_DEFAULT_STRATEGY });
      return writableThrough(gzip, [sink], (plaintextBytes) => {
        record.files[file] = { plaintextBytes };
      });
    },
    writeMetadata: (metadata) => inner.writeMetadata(metadata),
    writeManifest: (text) => inner.writeManifest(text),
    async finish(succeeded) {
      if (succeeded) await pipeline(Readable.from([Buffer.from(JSON.stringify(record, null, 2) + '\n')]), inner.createArtifact(COMPRESSION_FILE));
      return inner.finish(succeeded);
    },
  };
}

export async function readCompressionRecord(stored: StoredBackup): Promise<CompressionRecord | undefined> {
  if (!(await stored.hasFile(COMPRESSION_FILE))) return undefined;
  const hint = `${COMPRESSION_FILE} is damaged; use an intact copy of this backup`;
  const opened = await stored.openChecked(COMPRESSION_FILE, hint);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of opened.stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_RECORD_BYTES) {
      opened.stream.destroy();
      throw new ArtifactError(`${stored.describe(COMPRESSION_FILE)} is too large`, { hint });
    }
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CompressionRecord;
    if (value.format !== 'gzip' || typeof value.files !== 'object' || value.files === null) throw new Error('unknown format');
    for (const [name, f] of Object.entries(value.files)) if (name.includes('/') || !Number.isSafeInteger(f.plaintextBytes) || f.plaintextBytes < 0) throw new Error('bad entry');
    return value;
  } catch (error) {
    throw new ArtifactError(`${stored.describe(COMPRESSION_FILE)} cannot be read: ${(error as Error).message}`, { hint, cause: error });
  }
}

/** The backup as plain tars: `<name>.tar` reads `<name>.tar.gz`, never expanding past its recorded size. */
export function decompressingBackup(inner: StoredBackup, record: CompressionRecord): StoredBackup {
  const gunzip = (file: string, stream: Readable): Readable => {
    const limit = record.files[file]!.plaintextBytes;
    let seen = 0;
    const bound = new Transform({
      transform(chunk: Buffer, _e, cb) {
        seen += chunk.length;
        if (seen > limit) cb(new ArtifactError(`${inner.describe(file + '.gz')} expands beyond the ${limit} bytes recorded for it`, { hint: 'the file was changed after it was written; restore from another backup' }));
        else cb(null, chunk);
      },
    });
    const plain = new PassThrough();
    pipeline(stream, createGunzip(), bound, plain).catch((error: Error) =>
      plain.destroy(error instanceof ArtifactError ? error : new ArtifactError(`${inner.describe(file + '.gz')} cannot be decompressed: ${error.message}`, { hint: 'the file was cut or changed; restore from another backup', cause: error })),
    );
    return plain;
  };
  return layerUnderBackup(inner, { suffix: '.gz', files: record.files, decode: gunzip });
}

// Encryption at rest as a layer over any artifact store (local folder or S3): a backup written through
// `encryptingStore` holds `<name>.tar.age` (and `manifest.yml.age`) in the age v1 format, readable by the age CLI,
// plus `encryption.json`: what is encrypted, to which recipients, each file's plaintext size and ciphertext
// SHA-256. `metadata` stays plain BBR metadata with the SHA-256 of the plaintext tar entries, so a decrypted copy
// (`artifact export`) restores in BBR. `decryptingBackup` gives restore, drill and verify the plain tars back.
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactError } from '../errors.js';
import type { ArtifactStore, NewBackup, StoredBackup } from '../orchestrate/artifact-store.js';
import { layerOverStore, layerUnderBackup } from './store-layer.js';
import { writableThrough } from './writable-through.js';
import { createAgeDecryptStream, createAgeEncryptStream } from './age/format.js';
import type { SealedSummary } from './age/payload-sealer.js';
import { formatRecipient, type AgeIdentity, type AgeRecipient } from './age/keys.js';

export const ENCRYPTION_FILE = 'encryption.json';
export const AGE_SUFFIX = '.age';
const MAX_ENCRYPTION_FILE_BYTES = 16 * 1024 * 1024;

export interface EncryptionRecord {
  format: 'age-encryption.org/v1';
  recipients: string[];
  /** Plain name (`web-0-app.tar`, `manifest.yml`) -> what is stored as `<name>.age`. */
  files: Record<string, { plaintextBytes: number; ciphertextBytes: number; ciphertextSha256: string }>;
}

export function encryptingStore(inner: ArtifactStore, recipients: readonly AgeRecipient[]): ArtifactStore {
  return layerOverStore(inner, (backup) => encryptingBackup(backup, recipients));
}

function encryptingBackup(inner: NewBackup, recipients: readonly AgeRecipient[]): NewBackup {
  const record: EncryptionRecord = { format: 'age-encryption.org/v1', recipients: recipients.map(formatRecipient), files: {} };
  const createEncrypted = (file: string, onWriteError?: (error: unknown) => void): Writable => {
    const sink = inner.createArtifact(file + AGE_SUFFIX, onWriteError);
    // The ciphertext's size and SHA-256 come from the sealing itself (on the worker thread, in the same pass).
    let sealed: SealedSummary | undefined;
    const encrypt = createAgeEncryptStream(recipients, { onSealed: (summary) => (sealed = summary) });
    return writableThrough(encrypt, [sink], (plaintextBytes) => {
      record.files[file] = { plaintextBytes, ciphertextBytes: sealed!.bytes, ciphertextSha256: sealed!.sha256 };
    });
  };
  return {
    get location() {
      return inner.location;
    },
    // Everything written through this layer is encrypted (artifacts, the manifest, a compression record).
    describe: (file) => inner.describe(file === 'metadata' || file === ENCRYPTION_FILE ? file : file + AGE_SUFFIX),
    createArtifact: createEncrypted,
    writeMetadata: (metadata) => inner.writeMetadata(metadata),
    async writeManifest(text) {
      // The manifest names hosts and properties: encrypted like the artifacts.
      const out = createEncrypted('manifest.yml');
      await pipeline(Readable.from([Buffer.from(text)]), out);
    },
    async finish(succeeded) {
      if (succeeded) {
        const out = inner.createArtifact(ENCRYPTION_FILE);
        await pipeline(Readable.from([Buffer.from(JSON.stringify(record, null, 2) + '\n')]), out);
      }
      return inner.finish(succeeded);
    },
  };
}

/** The encryption record of a stored backup, or undefined when it is not encrypted. Bounded and validated. */
export async function readEncryptionRecord(stored: StoredBackup): Promise<EncryptionRecord | undefined> {
  if (!(await stored.hasFile(ENCRYPTION_FILE))) return undefined;
  const hint = `${ENCRYPTION_FILE} is damaged; use an intact copy of this backup`;
  const opened = await stored.openChecked(ENCRYPTION_FILE, hint);
  if (opened.size > MAX_ENCRYPTION_FILE_BYTES) {
    opened.stream.destroy();
    throw new ArtifactError(`${stored.describe(ENCRYPTION_FILE)} is too large`, { hint });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EncryptionRecord;
    if (value.format !== 'age-encryption.org/v1' || typeof value.files !== 'object' || value.files === null) throw new Error('unknown format');
    for (const [name, f] of Object.entries(value.files)) {
      if (name.includes('/') || !Number.isSafeInteger(f.plaintextBytes) || !Number.isSafeInteger(f.ciphertextBytes) || !/^[0-9a-f]{64}$/.test(f.ciphertextSha256)) throw new Error(`bad entry`);
    }
    return value;
  } catch (error) {
    throw new ArtifactError(`${stored.describe(ENCRYPTION_FILE)} cannot be read: ${(error as Error).message}`, { hint, cause: error });
  }
}

/** The backup as plain tars: `<name>.tar` reads `<name>.tar.age` through the identities. */
export function decryptingBackup(inner: StoredBackup, record: EncryptionRecord, identities: readonly AgeIdentity[]): StoredBackup {
  const decrypt = (file: string, stream: Readable): Readable => {
    const plain = new PassThrough();
    pipeline(stream, createAgeDecryptStream(identities, inner.describe(file + AGE_SUFFIX)), plain).catch((error) => plain.destroy(error));
    return plain;
  };
  return layerUnderBackup(inner, { suffix: AGE_SUFFIX, files: record.files, decode: decrypt });
}

/**
 * Without an identity: each encrypted file's bytes against the SHA-256 and size recorded at backup time. Proves
 * the ciphertext is what was written, not what it holds.
 */
export async function checkCiphertexts(stored: StoredBackup, record: EncryptionRecord, signal?: AbortSignal): Promise<{ file: string; problem?: string }[]> {
  const results: { file: string; problem?: string }[] = [];
  for (const [name, expected] of Object.entries(record.files)) {
    const file = name + AGE_SUFFIX;
    try {
      const opened = await stored.openChecked(file, 'the encrypted file was replaced by something that is not a file', signal);
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of opened.stream) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      const digest = hash.digest('hex');
      if (bytes !== expected.ciphertextBytes) results.push({ file, problem: `it has ${bytes} bytes, ${expected.ciphertextBytes} were written` });
      else if (digest !== expected.ciphertextSha256) results.push({ file, problem: 'its SHA-256 differs from the one recorded when it was written' });
      else results.push({ file });
    } catch (error) {
      results.push({ file, problem: (error as Error).message });
    }
  }
  return results;
}

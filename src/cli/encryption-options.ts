// --encrypt-to / --encrypt-to-file (backup) and --identity (restore, drill, artifact verify/export): age keys.
// Neither a recipient nor the identity is ever printed; an identity file's path is, its contents never.
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { parseRecipient, readIdentityFile, type AgeIdentity, type AgeRecipient } from '../artifact/age/keys.js';
import { decryptingBackup, encryptingStore, readEncryptionRecord } from '../artifact/age-store.js';
import { compressingStore, COMPRESSIONS, decompressingBackup, readCompressionRecord } from '../artifact/gzip-store.js';
import { ArtifactError, UsageError } from '../errors.js';
import type { ArtifactStore, StoredBackup } from '../orchestrate/artifact-store.js';
import { declareOptions, defineOptions, type OptionsOf } from './option-table.js';

const GROUP = 'At rest (encryption, compression):';

export const ENCRYPTION_OPTIONS = defineOptions({
  encryptTo: { flag: 'encrypt-to', type: 'string', array: true, describe: 'encrypt each artifact (and the manifest copy) to this age recipient (age1...), stored as <name>.tar.age; repeatable', group: GROUP },
  encryptToFile: { flag: 'encrypt-to-file', type: 'string', describe: 'encrypt to every age recipient in this file (one per line, # comments), as age -R', group: GROUP },
  compress: { flag: 'compress', type: 'string', choices: COMPRESSIONS, describe: 'store each artifact compressed (<name>.tar.gz, gzip level 1; then encrypted when --encrypt-to is given too); checksums stay those of the plain tar entries', group: GROUP },
});

export const IDENTITY_OPTIONS = defineOptions({
  identity: { flag: 'identity', type: 'string', describe: 'age identity file (age-keygen) that opens an encrypted backup', group: GROUP },
});

export type EncryptionFlags = OptionsOf<typeof ENCRYPTION_OPTIONS>;

export function encryptionOptions<T>(y: Argv<T>): Argv<T> {
  return declareOptions(y, ENCRYPTION_OPTIONS);
}

export function identityOption<T>(y: Argv<T>): Argv<T> {
  return declareOptions(y, IDENTITY_OPTIONS);
}

/** The recipients asked for, or undefined when the backup is not to be encrypted. */
export async function readRecipients(flags: EncryptionFlags): Promise<AgeRecipient[] | undefined> {
  const values = [...(flags.encryptTo ?? [])];
  if (flags.encryptToFile !== undefined) {
    const text = await readFile(flags.encryptToFile, 'utf8').catch((error: Error) => {
      throw new UsageError(`cannot read --encrypt-to-file ${flags.encryptToFile}: ${error.message}`, { hint: 'pass a file of age recipients (age1...), one per line' });
    });
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length === 0) throw new UsageError(`--encrypt-to-file ${flags.encryptToFile} lists no recipient`, { hint: 'put one age1... public key per line' });
    values.push(...lines);
  }
  return values.length === 0 ? undefined : values.map(parseRecipient);
}

/**
 * The backup as restore and verify read it: decrypted through the identity when it is encrypted. An encrypted
 * backup without --identity is refused here, before anything connects.
 */
export async function openForReading(stored: StoredBackup, identityFile: string | undefined): Promise<StoredBackup> {
  const decrypted = await decryptedForReading(stored, identityFile);
  // Compression sits above encryption: its record is read through the identity.
  const compression = await readCompressionRecord(decrypted);
  return compression ? decompressingBackup(decrypted, compression) : decrypted;
}

/** Where the backup is written: the store, with encryption and compression layered on as asked. */
export async function storeForBackup(store: ArtifactStore, flags: EncryptionFlags | undefined): Promise<ArtifactStore> {
  // Recipients are read first: a wrong one is refused before anything is written or connected.
  const recipients = flags ? await readRecipients(flags) : undefined;
  let layered = recipients ? encryptingStore(store, recipients) : store;
  if (flags?.compress === 'gzip') layered = compressingStore(layered);
  return layered;
}

async function decryptedForReading(stored: StoredBackup, identityFile: string | undefined): Promise<StoredBackup> {
  const record = await readEncryptionRecord(stored);
  if (!record) return stored;
  if (identityFile === undefined) {
    throw new ArtifactError(`${stored.location} is encrypted (age): its artifacts cannot be read without an identity`, {
      hint: 'pass the age identity file whose public key the backup was encrypted to with --identity',
    });
  }
  const identities: AgeIdentity[] = await readIdentityFile(identityFile);
  return decryptingBackup(stored, record, identities);
}

// age X25519 recipients and identities on node:crypto. Secret key bytes live in KeyObjects, never in messages.
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { bech32Decode, bech32Encode } from './bech32.js';

export interface AgeRecipient {
  readonly publicKey: KeyObject;
  /** The 32 raw bytes of the public key (the salt of the stanza key). */
  readonly raw: Buffer;
}

export interface AgeIdentity {
  readonly privateKey: KeyObject;
  /** The identity's own recipient: which one it opens. */
  readonly recipient: AgeRecipient;
}

// DER prefixes of X25519 keys (RFC 8410): SubjectPublicKeyInfo and PKCS #8, each followed by the 32 raw bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function recipientFromRaw(raw: Buffer): AgeRecipient {
  return { publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }), raw };
}

export function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

/** `age1...` as printed by age-keygen. */
export function parseRecipient(text: string): AgeRecipient {
  const decoded = bech32Decode(text.trim());
  if (!decoded || decoded.hrp !== 'age' || decoded.bytes.length !== 32) {
    // The value may be anything the operator pasted: say what it should look like, without echoing it.
    throw new UsageError('an --encrypt-to value is not an age X25519 recipient', { hint: 'pass a public key as printed by age-keygen (age1...), or a file of them with --encrypt-to-file' });
  }
  return recipientFromRaw(decoded.bytes);
}

export function formatRecipient(recipient: AgeRecipient): string {
  return bech32Encode('age', recipient.raw);
}

/** `AGE-SECRET-KEY-1...` lines of an identity file (age-keygen's output; '#' lines are comments). */
export function parseIdentities(text: string, source: string): AgeIdentity[] {
  const identities: AgeIdentity[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const decoded = bech32Decode(line);
    if (!decoded || decoded.hrp !== 'age-secret-key-' || decoded.bytes.length !== 32) {
      // Never echo the line: it may be a secret in the wrong format.
      throw new UsageError(`${source} is not an age identity file`, { hint: 'pass a file written by age-keygen (AGE-SECRET-KEY-1... lines) with --identity' });
    }
    identities.push(identityFromRaw(decoded.bytes));
  }
  if (identities.length === 0) throw new UsageError(`${source} holds no age identity`, { hint: 'pass a file written by age-keygen with --identity' });
  return identities;
}

export async function readIdentityFile(file: string): Promise<AgeIdentity[]> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`cannot read the identity file ${file}: ${error.message}`, { hint: 'pass a file written by age-keygen with --identity' });
  });
  return parseIdentities(text, `the identity file ${file}`);
}

export function identityFromRaw(secret: Buffer): AgeIdentity {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  return { privateKey, recipient: recipientFromRaw(rawPublicKey(createPublicKey(privateKey))) };
}

/** A new key pair; the identity in age-keygen's text form (tests and `age-keygen`-less setups). */
export function generateIdentity(): { identity: AgeIdentity; text: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return { identity: identityFromRaw(d), text: bech32Encode('age-secret-key-', d).toUpperCase() };
}

export function x25519(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

// The age v1 file format (c2sp.org/age, age-encryption.org/v1) for X25519 recipients, on node:crypto:
//   header:  "age-encryption.org/v1\n", one "-> X25519 <ephemeral share>\n<wrapped file key>\n" stanza per
//            recipient, "--- <HMAC-SHA-256 of the header up to '---'>\n" (raw base64 throughout);
//   payload: a 16-byte nonce, then the plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
//            HKDF(file key, nonce, "payload"), nonce = 11-byte big-endian counter || last-chunk flag.
// Streams in both directions with bounded memory (encryption holds back one batch of chunks, decryption one
// chunk, so the last one can be flagged).
import { createCipheriv, createDecipheriv, createHmac, generateKeyPairSync, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import { ArtifactError } from '../../errors.js';
import { CHUNK, createPayloadSealer, TAG, type PayloadSealerOptions } from './payload-sealer.js';
import { rawPublicKey, recipientFromRaw, x25519, type AgeIdentity, type AgeRecipient } from './keys.js';

export const AGE_MAGIC = 'age-encryption.org/v1';
const X25519_LABEL = 'age-encryption.org/v1/X25519';
/** Bounds for reading hostile files: a header is a few hundred bytes per recipient. */
const MAX_HEADER_BYTES = 64 * 1024;

const hkdf = (ikm: Buffer, salt: Buffer, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

function seal(key: Buffer, nonce: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** undefined when the tag does not match (wrong key, or the bytes were changed). */
function open(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Canonical raw base64 (no padding) or undefined: the spec makes decoders reject anything else. */
function unb64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : undefined;
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6); // 2^48 chunks of 64 KiB is far beyond any artifact
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function macOf(fileKey: Buffer, headerUpToDashes: string): Buffer {
  return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(headerUpToDashes).digest();
}

/** Wraps the file key for one recipient: the X25519 stanza. */
function stanza(fileKey: Buffer, recipient: AgeRecipient): string {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const share = rawPublicKey(publicKey);
  const shared = x25519(privateKey, recipient.publicKey);
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient.raw]), X25519_LABEL);
  const body = b64(seal(wrapKey, Buffer.alloc(12), fileKey));
  return `-> X25519 ${b64(share)}\n${body}\n`; // 43 characters: one short line ends the body
}

/**
 * Encrypts a byte stream to the recipients. The payload is sealed on a worker thread for all but small inputs
 * (payload-sealer.ts); `onSealed` learns the size and SHA-256 of the whole age file written.
 */
export function createAgeEncryptStream(recipients: readonly AgeRecipient[], options: Pick<PayloadSealerOptions, 'onSealed' | 'pool'> = {}): Duplex {
  if (recipients.length === 0) throw new Error('createAgeEncryptStream: no recipient');
  const fileKey = randomBytes(16);
  const upToDashes = `${AGE_MAGIC}\n${recipients.map((r) => stanza(fileKey, r)).join('')}---`;
  const nonce = randomBytes(16);
  const header = Buffer.from(`${upToDashes} ${b64(macOf(fileKey, upToDashes))}\n`);
  return createPayloadSealer(hkdf(fileKey, nonce, 'payload'), Buffer.concat([header, nonce]), options);
}

/** Decrypts an age stream with the first identity that opens it; refuses a changed, cut or foreign file. */
export function createAgeDecryptStream(identities: readonly AgeIdentity[], what: string): Transform {
  let header = Buffer.alloc(0);
  let key: Buffer | undefined;
  let body: Buffer[] = [];
  let bodyBytes = 0;
  let counter = 0;
  let chunks = 0;
  const broken = (why: string) => new ArtifactError(`${what} cannot be decrypted: ${why}`, { hint: 'the file is not an age file bbr-ts wrote, or it was cut or changed; restore from another backup' });
  const take = (stream: Transform, all: Buffer, keep: number) => {
    // Everything but the last `keep` bytes: full chunks that are not the last one.
    while (all.length - keep >= CHUNK + TAG) {
      const plain = open(key!, chunkNonce(counter++, false), all.subarray(0, CHUNK + TAG));
      if (!plain) throw broken(`chunk ${counter} fails its authentication tag`);
      chunks += 1;
      stream.push(plain);
      all = all.subarray(CHUNK + TAG);
    }
    return all;
  };
  return new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      try {
        if (!key) {
          header = Buffer.concat([header, data]);
          const parsed = parseHeader(header, identities, what);
          if (!parsed) {
            if (header.length > MAX_HEADER_BYTES) throw broken('its header is too long');
            return callback();
          }
          key = parsed.key;
          data = header.subarray(parsed.length);
          header = Buffer.alloc(0);
        }
        body.push(data);
        bodyBytes += data.length;
        if (bodyBytes > 2 * (CHUNK + TAG)) {
          const rest = take(this, Buffer.concat(body), CHUNK + TAG);
          body = [rest];
          bodyBytes = rest.length;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!key) throw broken(header.length === 0 ? 'it is empty' : 'its header is incomplete');
        let all = take(this, Buffer.concat(body), CHUNK + TAG);
        // The last chunk may be a full one: then it is all that is left.
        if (all.length > CHUNK + TAG) all = take(this, all, 0);
        const last = open(key, chunkNonce(counter, true), all);
        if (!last) throw broken('it was cut short, or its last chunk was changed');
        if (last.length === 0 && chunks > 0) throw broken('it ends with an empty chunk');
        this.push(last);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * The payload key and the header's length once the whole header is in `bytes` (undefined before that).
 * The nonce (16 bytes after the header) must be there too.
 */
function parseHeader(bytes: Buffer, identities: readonly AgeIdentity[], what: string): { key: Buffer; length: number } | undefined {
  const text = bytes.subarray(0, Math.min(bytes.length, MAX_HEADER_BYTES)).toString('latin1');
  if (!AGE_MAGIC.startsWith(text.slice(0, AGE_MAGIC.length)) || (text.length > AGE_MAGIC.length && !text.startsWith(`${AGE_MAGIC}\n`))) {
    throw new ArtifactError(`${what} is not an age file`, { hint: 'only artifacts listed as encrypted in metadata need --identity' });
  }
  const end = text.search(/\n--- [A-Za-z0-9+/]*\n/);
  if (end < 0) return undefined;
  const macLine = text.indexOf('\n', end + 1);
  const length = macLine + 1;
  if (bytes.length < length + 16) return undefined;
  const upToDashes = text.slice(0, end + 4);
  const mac = unb64(text.slice(end + 5, macLine));
  const lines = text.slice(AGE_MAGIC.length + 1, end + 1).split('\n').slice(0, -1);
  let fileKey: Buffer | undefined;
  const malformed = () => new ArtifactError(`${what} has a malformed age header`, { hint: 'restore from another backup' });
  for (let i = 0; i < lines.length; ) {
    const args = lines[i++]!.split(' ');
    if (args[0] !== '->' || args.length < 2) throw malformed();
    // A stanza body is base64 in lines of 64 characters, ended by a shorter line (other recipient types too).
    let bodyText = '';
    for (;;) {
      const line = lines[i++];
      if (line === undefined || line.length > 64) throw malformed();
      bodyText += line;
      if (line.length < 64) break;
    }
    const body = unb64(bodyText);
    if (body === undefined) throw malformed();
    if (args[1] !== 'X25519' || args.length !== 3 || fileKey) continue;
    const share = unb64(args[2]!);
    if (share?.length !== 32 || body.length !== 32) continue;
    for (const identity of identities) {
      const shared = x25519(identity.privateKey, recipientFromRaw(share).publicKey);
      if (shared.every((b) => b === 0)) continue;
      const wrapKey = hkdf(shared, Buffer.concat([share, identity.recipient.raw]), X25519_LABEL);
      fileKey = open(wrapKey, Buffer.alloc(12), body);
      if (fileKey) break;
    }
  }
  if (!fileKey) {
    throw new ArtifactError(`no identity given opens ${what}`, { hint: 'pass the identity file whose public key the backup was encrypted to (--identity)' });
  }
  const expected = macOf(fileKey, upToDashes);
  if (!mac || mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new ArtifactError(`${what} has an age header that was changed (its MAC does not match)`, { hint: 'restore from another backup' });
  }
  const nonce = bytes.subarray(length, length + 16);
  return { key: hkdf(fileKey, nonce, 'payload'), length: length + 16 };
}

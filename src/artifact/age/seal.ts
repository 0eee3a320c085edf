// Sealing of age payload chunks (ChaCha20-Poly1305, 64 KiB of plaintext + 16-byte tag per chunk), written as one
// self-contained function: it runs both on the calling thread and, from its source text, inside the sealing
// worker (seal-pool.ts), which has no access to this module's imports. Hence the crypto module as a parameter
// and the constants spelled out inside (seal.test.ts checks them against format.ts).

export type SealCrypto = Pick<typeof import('node:crypto'), 'createCipheriv'>;

/**
 * Seals `plain` as the chunks `counter`, `counter + 1`, ... of an age payload; `last` flags the final chunk.
 * Returns each chunk's ciphertext and tag in order, as node:crypto made them (each with its own ArrayBuffer, so
 * they can be transferred): no copy into one buffer. Empty `plain` gives one empty chunk (an empty file).
 * `hash`, when given, is updated with every piece as it is made.
 */
export function sealChunks(crypto: SealCrypto, key: Uint8Array, counter: number, plain: Uint8Array, last: boolean, hash?: { update(data: Uint8Array): unknown }): Buffer[] {
  const CHUNK = 65536;
  const TAG = 16;
  const chunks = Math.max(1, Math.ceil(plain.length / CHUNK));
  const out: Buffer[] = [];
  // 11-byte big-endian counter, then the last-chunk flag; 2^48 chunks of 64 KiB is far beyond any artifact.
  const nonce = Buffer.alloc(12);
  for (let i = 0; i < chunks; i++) {
    nonce.writeUIntBE(counter + i, 5, 6);
    nonce[11] = last && i === chunks - 1 ? 1 : 0;
    const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    const sealed = cipher.update(plain.subarray(i * CHUNK, Math.min(plain.length, (i + 1) * CHUNK)));
    cipher.final();
    // An empty update has no bytes to send; every other piece owns its memory (checked in seal.test.ts terms).
    const tag = cipher.getAuthTag();
    if (sealed.length > 0) out.push(sealed);
    out.push(tag);
    // Hashed while still in this core's cache.
    hash?.update(sealed);
    hash?.update(tag);
  }
  return out;
}

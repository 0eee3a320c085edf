// Issue 16, encryption: bbr-ts's age v1 implementation on node:crypto (src/artifact/age) against Debian's `age`
// CLI, both ways, every chunk boundary; and what it refuses: a wrong identity, a changed or cut file.
// Offline: no fleet. Needs `age` and `age-keygen` (scripts/test.sh installs the Debian package).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { createAgeDecryptStream, createAgeEncryptStream } from '../../src/artifact/age/format.js';
import { inlineSealer, SealPool } from '../../src/artifact/age/seal-pool.js';
import { formatRecipient, generateIdentity, parseIdentities, parseRecipient, type AgeIdentity, type AgeRecipient } from '../../src/artifact/age/keys.js';
import { useScratchDir } from '../support/scratch-dir.js';

const scratch = useScratchDir('bbr-ts-age-');
const workers = new SealPool(1);
const CHUNK = 64 * 1024;
// Past one batch of 16 chunks (1 MiB) the payload is sealed on a worker thread (src/artifact/age/payload-sealer.ts).
const BATCH = 16 * CHUNK;
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 200_001, BATCH, BATCH + 1, 2 * BATCH, 3 * BATCH + CHUNK + 5];

async function collect(source: Buffer | Readable, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  // Fed in odd-sized pieces so chunk boundaries never line up with writes.
  const input = Buffer.isBuffer(source) ? Readable.from(pieces(source)) : source;
  await pipeline(input, transform, async (s: AsyncIterable<string | Buffer>) => {
    for await (const b of s) out.push(Buffer.from(b));
  });
  return Buffer.concat(out);
}

function* pieces(data: Buffer): Generator<Buffer> {
  for (let i = 0; i < data.length; i += 7919) yield data.subarray(i, i + 7919);
}

const encrypt = (data: Buffer, recipients: AgeRecipient[]) => collect(data, createAgeEncryptStream(recipients));
const decrypt = (data: Buffer, identities: AgeIdentity[]) => collect(data, createAgeDecryptStream(identities, 'web-0-app.tar.age'));

async function ageKeygen(): Promise<{ file: string; recipient: string; identities: AgeIdentity[] }> {
  const file = path.join(scratch(), `key-${Math.random().toString(36).slice(2)}.txt`);
  await execa('age-keygen', ['-o', file]);
  const text = await readFile(file, 'utf8');
  return { file, recipient: /public key: (age1\w+)/.exec(text)![1]!, identities: parseIdentities(text, file) };
}

describe('age format', () => {
  it('reads age-keygen keys: the identity derives the printed recipient', async () => {
    const key = await ageKeygen();
    expect(formatRecipient(key.identities[0]!.recipient)).toBe(key.recipient);
    expect(formatRecipient(parseRecipient(key.recipient))).toBe(key.recipient);
  });

  it('round-trips every chunk boundary', async () => {
    const { identity } = generateIdentity();
    for (const size of SIZES) {
      const data = randomBytes(size);
      expect((await decrypt(await encrypt(data, [identity.recipient]), [identity])).equals(data), `${size} bytes`).toBe(true);
    }
  });

  it('the age CLI decrypts what bbr-ts encrypts, and bbr-ts decrypts what the age CLI encrypts', async () => {
    const key = await ageKeygen();
    for (const size of SIZES) {
      const data = randomBytes(size);
      // A plaintext ending in a newline: the CLI's output must be taken byte for byte (execa strips a final newline
      // unless told not to; random data ended so about once in 256 and failed this test now and then).
      if (size > 0) data[size - 1] = 0x0a;
      // Sealed on this thread and on a worker thread (which one a backup uses depends on the machine's cores).
      for (const [how, pool] of [['inline', inlineSealer], ['worker', workers]] as const) {
        const ours = path.join(scratch(), `ours-${how}-${size}.age`);
        await writeFile(ours, await collect(data, createAgeEncryptStream([parseRecipient(key.recipient)], { pool })));
        const byAge = await execa('age', ['-d', '-i', key.file, ours], { encoding: 'buffer', stripFinalNewline: false });
        expect(Buffer.from(byAge.stdout).equals(data), `age -d of ${size} bytes sealed ${how}`).toBe(true);
      }

      const plain = path.join(scratch(), `plain-${size}`);
      await writeFile(plain, data);
      const theirs = await execa('age', ['-e', '-r', key.recipient, plain], { encoding: 'buffer', stripFinalNewline: false });
      expect((await decrypt(Buffer.from(theirs.stdout), key.identities)).equals(data), `ours of age -e, ${size} bytes`).toBe(true);
    }
  });

  it('several recipients: each identity opens the file', async () => {
    const a = generateIdentity().identity;
    const b = await ageKeygen();
    const data = randomBytes(100_000);
    const sealed = await encrypt(data, [a.recipient, parseRecipient(b.recipient)]);
    expect((await decrypt(sealed, [a])).equals(data)).toBe(true);
    const file = path.join(scratch(), 'two.age');
    await writeFile(file, sealed);
    expect(Buffer.from((await execa('age', ['-d', '-i', b.file, file], { encoding: 'buffer', stripFinalNewline: false })).stdout).equals(data)).toBe(true);
  });

  it('refuses a wrong identity, a changed byte, a cut file and a changed header', async () => {
    const { identity } = generateIdentity();
    const data = randomBytes(3 * CHUNK + 5);
    const sealed = await encrypt(data, [identity.recipient]);
    await expect(decrypt(sealed, [generateIdentity().identity])).rejects.toThrow(/no identity given opens web-0-app.tar.age/);

    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 10]! ^= 1; // in the last chunk (5 bytes + tag)
    await expect(decrypt(flipped, [identity])).rejects.toThrow(/cut short, or its last chunk was changed/);
    const early = Buffer.from(sealed);
    early[early.length - 2 * CHUNK]! ^= 1;
    await expect(decrypt(early, [identity])).rejects.toThrow(/fails its authentication tag/);
    // Cut at a chunk boundary: without the last-chunk flag the file is known to be incomplete.
    const headerAndNonce = sealed.length - (3 * (CHUNK + 16) + 5 + 16);
    await expect(decrypt(sealed.subarray(0, headerAndNonce + 2 * (CHUNK + 16)), [identity])).rejects.toThrow(/cut short/);
    const header = Buffer.from(sealed);
    header[25] = header[25] === 0x41 ? 0x42 : 0x41; // inside the stanza's ephemeral share
    await expect(decrypt(header, [identity])).rejects.toThrow(/no identity given opens|changed/);
    await expect(decrypt(Buffer.from('not an age file at all, just text\n'), [identity])).rejects.toThrow(/is not an age file/);
  });

  it('rejects identity files and recipients that are not age keys, without echoing them', async () => {
    expect(() => parseIdentities('AGE-SECRET-KEY-1NOTAKEY\n', 'key.txt')).toThrow(/key.txt is not an age identity file/);
    expect(() => parseIdentities('AGE-SECRET-KEY-1NOTAKEY\n', 'key.txt')).not.toThrow(/NOTAKEY/);
    expect(() => parseRecipient('age1nope')).toThrow(/not an age X25519 recipient/);
  });
});

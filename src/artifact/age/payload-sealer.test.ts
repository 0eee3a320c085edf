// The age payload sealed on a worker thread (payload-sealer.ts, seal-pool.ts): byte-for-byte what sealing every
// chunk in order on this thread gives, whatever the batch and write boundaries; errors and destroys reach the
// stream and stop the worker.
import * as crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgeDecryptStream, createAgeEncryptStream } from './format.js';
import { generateIdentity } from './keys.js';
import { CHUNK, createPayloadSealer, TAG, type SealedSummary } from './payload-sealer.js';
import { inlineSealer, SealPool, type Sealer } from './seal-pool.js';
import { sealChunks } from './seal.js';

const BATCH = 16 * CHUNK;
const prefix = Buffer.from('age-encryption.org/v1\n-> test header\n--- mac\nnonce-16-bytes!!');
let pool: SealPool;

afterEach(async () => {
  // Every test leaves no worker behind: a hung one would fail here (the hook times out).
  await pool.whenIdle();
  expect(pool.liveWorkers).toBe(0);
});

function* pieces(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function seal(data: Buffer, pieceSize: number, key = crypto.randomBytes(32), sealer: Sealer = pool) {
  let summary: SealedSummary | undefined;
  let workersSeen = 0;
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces(data, pieceSize)), createPayloadSealer(key, prefix, { pool: sealer, onSealed: (s) => (summary = s) }), async (s: AsyncIterable<Buffer>) => {
    for await (const b of s) {
      out.push(b);
      workersSeen = Math.max(workersSeen, pool.liveWorkers);
    }
  });
  return { key, sealed: Buffer.concat(out), summary: summary!, workersSeen };
}

describe('age payload sealed on a worker thread', () => {
  it('keeps the spelled-out constants of the worker code in step with the format', () => {
    pool = new SealPool(1);
    const plain = crypto.randomBytes(CHUNK + 1);
    const sealed = sealChunks(crypto, crypto.randomBytes(32), 0, plain, true);
    expect(sealed.map((b) => b.length)).toEqual([CHUNK, TAG, 1, TAG]);
    // Every piece owns its ArrayBuffer whole: transferring it hands over exactly these bytes.
    for (const piece of sealed) expect([piece.byteOffset, piece.buffer.byteLength]).toEqual([0, piece.length]);
    expect(sealChunks(crypto, crypto.randomBytes(32), 0, Buffer.alloc(0), true).map((b) => b.length)).toEqual([TAG]);
  });

  it('writes every chunk in order with its counter, and flags only the last one, across batch boundaries', async () => {
    pool = new SealPool(1);
    for (const size of [BATCH + 1, 2 * BATCH, 2 * BATCH + CHUNK, 7 * BATCH + CHUNK + 7]) {
      for (const pieceSize of [32 * 1024, 7919, 3 * BATCH + 5]) {
        const data = crypto.randomBytes(size);
        const { key, sealed, summary, workersSeen } = await seal(data, pieceSize);
        // The reference: every chunk sealed here, one after the other, the last one flagged.
        const expected = Buffer.concat([prefix, ...sealChunks(crypto, key, 0, data, true)]);
        expect(sealed.equals(expected), `${size} bytes in pieces of ${pieceSize}`).toBe(true);
        expect(summary).toEqual({ bytes: expected.length, sha256: crypto.createHash('sha256').update(expected).digest('hex') });
        expect(workersSeen, 'sealed on the worker').toBe(1);
        // The stream ended: its worker goes.
        await pool.whenIdle();
      }
    }
  }, 60_000);

  it('seals the same bytes on this thread when there is no core to spare', async () => {
    pool = new SealPool(1);
    for (const size of [BATCH + 1, 3 * BATCH + CHUNK + 7]) {
      const data = crypto.randomBytes(size);
      const { key, sealed, summary, workersSeen } = await seal(data, 32 * 1024, crypto.randomBytes(32), inlineSealer);
      const expected = Buffer.concat([prefix, ...sealChunks(crypto, key, 0, data, true)]);
      expect(sealed.equals(expected), `${size} bytes`).toBe(true);
      expect(summary).toEqual({ bytes: expected.length, sha256: crypto.createHash('sha256').update(expected).digest('hex') });
      expect(workersSeen).toBe(0);
    }
    const failing = pipeline(Readable.from(pieces(crypto.randomBytes(2 * BATCH), CHUNK)), createPayloadSealer(crypto.randomBytes(31), prefix, { pool: inlineSealer }), new Writable({ write: (_c, _e, cb) => cb() }));
    await expect(failing).rejects.toThrow(/age encryption failed: .*key/i);
  });

  it('seals a payload of one batch or less on this thread, without a worker', async () => {
    pool = new SealPool(1);
    for (const size of [0, 1, CHUNK, BATCH]) {
      const data = crypto.randomBytes(size);
      const { key, sealed, summary, workersSeen } = await seal(data, 7919);
      const expected = Buffer.concat([prefix, ...sealChunks(crypto, key, 0, data, true)]);
      expect(sealed.equals(expected), `${size} bytes`).toBe(true);
      expect(summary.sha256).toBe(crypto.createHash('sha256').update(expected).digest('hex'));
      expect(workersSeen).toBe(0);
    }
  });

  it('decrypts back to the plaintext through the age format, with streams sharing one worker', async () => {
    pool = new SealPool(1);
    const { identity } = generateIdentity();
    const round = async (data: Buffer) => {
      const out: Buffer[] = [];
      await pipeline(
        Readable.from(pieces(data, 32 * 1024)),
        createAgeEncryptStream([identity.recipient], { pool }),
        createAgeDecryptStream([identity], 'x.tar.age'),
        async (s: AsyncIterable<Buffer>) => {
          for await (const b of s) out.push(b);
        },
      );
      return Buffer.concat(out);
    };
    const inputs = [crypto.randomBytes(3 * BATCH + 11), crypto.randomBytes(4 * BATCH), crypto.randomBytes(2 * BATCH + CHUNK)];
    const outputs = await Promise.all(inputs.map(round));
    outputs.forEach((out, i) => expect(out.equals(inputs[i]!), `stream ${i}`).toBe(true));
  });

  it('fails the stream when sealing fails inside the worker, and stops the worker', async () => {
    pool = new SealPool(1);
    // ChaCha20 takes a 32-byte key: the worker's createCipheriv throws on the first batch.
    const badKey = crypto.randomBytes(31);
    const run = pipeline(Readable.from(pieces(crypto.randomBytes(4 * BATCH), CHUNK)), createPayloadSealer(badKey, prefix, { pool }), new Writable({ write: (_c, _e, cb) => cb() }));
    await expect(run).rejects.toThrow(/age encryption failed: .*key/i);
  });

  it('stops the worker when the stream is destroyed mid-way', async () => {
    pool = new SealPool(1);
    const stream = createPayloadSealer(crypto.randomBytes(32), prefix, { pool });
    stream.on('error', () => undefined);
    let sealedBytes = 0;
    stream.on('data', (b: Buffer) => (sealedBytes += b.length));
    const block = crypto.randomBytes(BATCH);
    for (let i = 0; i < 3; i++) stream.write(block);
    // Wait until the worker has sealed something: it is running and busy.
    while (sealedBytes <= prefix.length) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pool.liveWorkers).toBe(1);
    stream.destroy();
    await pool.whenIdle();
    expect(pool.liveWorkers).toBe(0);
  });

  it('fails the stream when its worker stops under it', async () => {
    pool = new SealPool(1);
    const stream = createPayloadSealer(crypto.randomBytes(32), prefix, { pool });
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
    stream.resume();
    stream.write(crypto.randomBytes(BATCH + 1)); // one batch goes to the worker
    while (pool.liveWorkers === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await pool.stopAll();
    expect((await failed).message).toMatch(/encryption worker stopped/);
  });

  it.each(['worker', 'this thread'])('holds a bounded number of batches when nothing reads its output, sealing on %s (backpressure)', async (where) => {
    pool = new SealPool(1);
    const stream = createPayloadSealer(crypto.randomBytes(32), prefix, { pool: where === 'worker' ? pool : inlineSealer });
    let accepted = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 384; i++) {
          accepted += CHUNK;
          yield crypto.randomBytes(CHUNK);
        }
      })(),
    );
    source.pipe(stream);
    // Nobody reads: once the pipe settles, a few batches went in of the 24 MiB offered.
    let before = -1;
    while (accepted !== before) {
      before = accepted;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(accepted).toBeGreaterThan(where === 'worker' ? BATCH : CHUNK);
    // Worker: 4 batches of 1 MiB with it, one filling, one unread, and what the source and pipe buffer (1 MiB
    // each); this thread: batches of one chunk, far less.
    expect(accepted).toBeLessThanOrEqual(9 * BATCH);
    stream.destroy();
    source.destroy();
  });
});

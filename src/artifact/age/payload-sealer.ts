// The age payload as a stream: plaintext in, `prefix` (header and nonce) then sealed chunks out, in order. The
// plaintext is gathered into batches of BATCH_CHUNKS chunks, handed to a sealer (seal-pool.ts: worker threads
// when the machine has cores to spare, else this thread) and pushed back in order, with the SHA-256 of all
// output computed in the same pass. Bounded: a write waits while MAX_IN_FLIGHT batches are with the worker or a
// batch of output is still unread. A payload of one batch or less (a manifest, a small artifact) is sealed here
// at the end.
import * as crypto from 'node:crypto';
import { Duplex } from 'node:stream';
import { defaultSealer, type SealLease, type Sealer } from './seal-pool.js';
import { sealChunks } from './seal.js';

export const CHUNK = 64 * 1024;
export const TAG = 16;
const BATCH_CHUNKS = 16;
// 4 MiB with the worker: on a busy machine either thread may wait for a time slice, and queued work keeps the
// other one going meanwhile (with 2, a profile under load showed both threads idle for much of the drain).
const MAX_IN_FLIGHT = 4;

export interface SealedSummary {
  /** Every byte the stream wrote, prefix included. */
  bytes: number;
  /** SHA-256 (hex) of those bytes. */
  sha256: string;
}

export interface PayloadSealerOptions {
  /** Called once, before the stream ends, with the size and SHA-256 of what it wrote (computed with the sealing). */
  onSealed?: (summary: SealedSummary) => void;
  /** Where the batches are sealed: by default worker threads when the machine has cores to spare (seal-pool.ts). */
  pool?: Sealer;
}

export function createPayloadSealer(key: Buffer, prefix: Buffer, options: PayloadSealerOptions = {}): Duplex {
  const pool = options.pool ?? defaultSealer();
  // A worker gets 1 MiB at a time (few hand-overs); this thread seals each chunk as it fills, while it is hot.
  const BATCH = (pool.batchChunks ?? BATCH_CHUNKS) * CHUNK;
  // Each batch's memory is handed over to the worker, not copied, and comes back with the sealed batch to be
  // filled again: a stream allocates at most MAX_IN_FLIGHT + 1 of them.
  const spare: Buffer[] = [];
  let batch: Buffer = Buffer.allocUnsafeSlow(BATCH);
  let used = 0;
  let counter = 0; // the first chunk number of the next batch
  let sent = 0;
  let received = 0;
  let bytes = prefix.length;
  let lease: SealLease | undefined;
  // The write (or end) that waits for room: fewer batches with the worker, and output read by the consumer.
  let waiting: ((error?: Error | null) => void) | undefined;
  let finishing: ((error?: Error | null) => void) | undefined;
  // The consumer asked for more (read() was called) and nothing was pushed since. Readable calls read() before it
  // takes the bytes being read off its buffer, so readableLength alone would still look full then.
  let wanted = false;

  const release = () => {
    lease?.release();
    lease = undefined;
  };
  const fail = (error: Error) => {
    release();
    stream.destroy(error);
  };
  const wakeWriter = () => {
    if (!waiting || sent - received >= MAX_IN_FLIGHT || (!wanted && stream.readableLength >= BATCH)) return;
    const next = waiting;
    waiting = undefined;
    next();
  };
  const handlers = {
    onSealed(seq: number, sealed: Buffer[], plain: Buffer, digest: string | undefined) {
      if (plain.length === BATCH) spare.push(plain);
      if (seq !== received) return fail(new Error(`age encryption: batch ${seq} came back when ${received} was due`));
      received += 1;
      wanted = false;
      for (const piece of sealed) {
        bytes += piece.length;
        stream.push(piece);
      }
      if (finishing && received === sent) {
        release();
        if (options.onSealed) {
          if (digest === undefined) return fail(new Error('age encryption: the worker returned no digest'));
          options.onSealed({ bytes, sha256: digest });
        }
        stream.push(null);
        const done = finishing;
        finishing = undefined;
        return done();
      }
      wakeWriter();
    },
    onError: (error: Error) => fail(new Error(`age encryption failed: ${error.message}`)),
  };
  const dispatch = (last: boolean) => {
    lease ??= pool.open(key, options.onSealed ? prefix : undefined, handlers);
    lease.seal(sent++, counter, batch, used, last);
    counter += Math.ceil(used / CHUNK);
    batch = spare.pop() ?? Buffer.allocUnsafeSlow(BATCH);
    used = 0;
  };

  const stream: Duplex = new Duplex({
    readableHighWaterMark: BATCH,
    construct(callback) {
      this.push(prefix);
      callback();
    },
    write(data: Buffer, _encoding, callback) {
      for (let offset = 0; offset < data.length; ) {
        // A full batch goes once more bytes show it does not hold the last chunk.
        if (used === BATCH) dispatch(false);
        const copied = data.copy(batch, used, offset);
        used += copied;
        offset += copied;
      }
      if (stream.destroyed) return; // sealing failed on this thread
      waiting = callback;
      wakeWriter();
    },
    final(callback) {
      if (lease) {
        // Not empty: a full batch is only sent once a byte follows it.
        finishing = callback;
        dispatch(true);
        return;
      }
      try {
        const sealed = sealChunks(crypto, key, counter, batch.subarray(0, used), true);
        if (options.onSealed) {
          const hash = crypto.createHash('sha256').update(prefix);
          for (const piece of sealed) {
            hash.update(piece);
            bytes += piece.length;
          }
          options.onSealed({ bytes, sha256: hash.digest('hex') });
        }
        for (const piece of sealed) this.push(piece);
        this.push(null);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    read() {
      wanted = true;
      wakeWriter();
    },
    destroy(error, callback) {
      release();
      waiting = undefined;
      finishing = undefined;
      callback(error);
    },
  });
  return stream;
}

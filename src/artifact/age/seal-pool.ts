// Worker threads that seal age payload chunks, so encryption runs on another core than the drain (SSH decryption,
// tar parsing and hashing, file writes all run on the main thread). Measured (bench figure 10): on the main
// thread, ChaCha20-Poly1305 and the SHA-256 of the ciphertext add as much main-thread time as the plain
// drain's own hashing and decryption together.
//
// A few workers are shared by every encrypting stream of the process (a backup drains many artifacts at once;
// a worker per stream would cost an isolate each). A worker is started when a stream first needs one and
// terminated as soon as no stream uses it, so nothing outlives the streams; it keeps the process alive only
// while it has work in flight (an abandoned stream cannot hang the process). Each stream's batches go to one
// worker and come back in the order they were sent (one thread, one port: FIFO).
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { sealChunks } from './seal.js';

type ToWorker =
  | { op: 'open'; id: number; key: Uint8Array; prefix: Uint8Array | undefined }
  | { op: 'seal'; id: number; seq: number; counter: number; plain: ArrayBuffer; length: number; last: boolean }
  | { op: 'close'; id: number };
// The plaintext's buffer comes back with its batch, for the stream to fill again (no allocation per batch).
type FromWorker = { id: number; seq: number; sealed: ArrayBuffer[]; plain: ArrayBuffer; digest: string | undefined } | { id: number; seq: number; error: string };

/**
 * The worker's program. Self-contained (it runs from its source text, see WORKER_SOURCE): only its parameter,
 * `require` and globals. `prefix`, when given, starts a SHA-256 of the ciphertext (the header bytes), which then
 * covers every sealed byte and is returned with the last batch.
 */
function workerMain(seal: typeof sealChunks): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const port = parentPort!;
  const streams = new Map<number, { key: Buffer; hash: import('node:crypto').Hash | undefined }>();
  port.on('message', (m: ToWorker) => {
    if (m.op === 'open') {
      streams.set(m.id, { key: Buffer.from(m.key), hash: m.prefix ? crypto.createHash('sha256').update(m.prefix) : undefined });
      return;
    }
    if (m.op === 'close') {
      streams.delete(m.id);
      return;
    }
    try {
      // Every batch gets a reply (the pool counts batches in flight), also one of a stream that failed meanwhile.
      const stream = streams.get(m.id);
      if (!stream) throw new Error('the stream was closed');
      const sealed = seal(crypto, stream.key, m.counter, new Uint8Array(m.plain, 0, m.length), m.last, stream.hash);
      const digest = m.last ? stream.hash?.digest('hex') : undefined;
      if (m.last) streams.delete(m.id);
      // Each piece is a whole ArrayBuffer of node:crypto's: handed over, not copied.
      const buffers = sealed.map((piece) => piece.buffer as ArrayBuffer);
      const reply: FromWorker = { id: m.id, seq: m.seq, sealed: buffers, plain: m.plain, digest };
      port.postMessage(reply, [...buffers, m.plain]);
    } catch (error) {
      streams.delete(m.id);
      const reply: FromWorker = { id: m.id, seq: m.seq, error: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    }
  });
}

// Function expressions from their source: the same code as on this thread, whatever the names compiled to.
const WORKER_SOURCE = `'use strict';\nconst sealChunks = (${sealChunks.toString()});\n(${workerMain.toString()})(sealChunks);\n`;

export interface SealHandlers {
  /**
   * A sealed batch (ciphertexts and tags, in order), and the buffer its plaintext was sent in; `digest` (with the last one) is the
   * SHA-256 of prefix and every sealed byte.
   */
  onSealed(seq: number, sealed: Buffer[], plain: Buffer, digest: string | undefined): void;
  onError(error: Error): void;
}

export interface SealLease {
  /** Hands `plain` (its ArrayBuffer is transferred: the caller must not touch it again) to the worker. */
  seal(seq: number, counter: number, plain: Buffer, length: number, last: boolean): void;
  /** This stream is done (ended, failed or destroyed); its worker stops once no stream uses it. */
  release(): void;
}

/** Where a stream's batches are sealed: a pool of worker threads, or this thread (inlineSealer). */
export interface Sealer {
  /** Chunks per batch, when not the stream's default. */
  readonly batchChunks?: number;
  open(key: Uint8Array, prefix: Uint8Array | undefined, handlers: SealHandlers): SealLease;
}

/**
 * Seals each batch (one chunk) on the calling thread as it is handed over (handlers called before seal()
 * returns), hashing each piece as it is sealed, while the bytes are hot.
 */
export const inlineSealer: Sealer = {
  batchChunks: 1,
  open(key, prefix, handlers) {
    const hash = prefix ? createHash('sha256').update(prefix) : undefined;
    let released = false;
    return {
      seal(seq, counter, plain, length, last) {
        if (released) return;
        let sealed;
        try {
          sealed = sealChunks(crypto, key, counter, plain.subarray(0, length), last, hash);
        } catch (error) {
          released = true;
          return handlers.onError(error as Error);
        }
        handlers.onSealed(seq, sealed, plain, last ? hash?.digest('hex') : undefined);
      },
      release() {
        released = true;
      },
    };
  },
};

/**
 * The sealer streams use by default. Worker threads only with a core to spare beside the drain's thread and
 * another: on the 2-core bench machine the other core is busy with SSH and the instance, and a worker there cost
 * the drain more than sealing on its own thread (bench figure 10: +0.9 s of process CPU per GiB and a worse
 * ratio, from handing batches between cores and preempting the drain; README, Encryption at rest).
 */
export function defaultSealer(): Sealer {
  return os.availableParallelism() > 2 ? sealPool : inlineSealer;
}

interface Slot {
  worker: Worker;
  streams: Map<number, SealHandlers>;
  inFlight: number;
}

export class SealPool implements Sealer {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private live = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly size: number;

  /** `size` workers at most; by default one core is left to the main thread. */
  constructor(size = Math.max(1, Math.min(4, os.availableParallelism() - 1))) {
    this.size = size;
  }

  /** Workers started and not yet exited (for tests: 0 once every stream is done). */
  get liveWorkers(): number {
    return this.live;
  }

  /** Resolves once every worker this pool started has exited. */
  whenIdle(): Promise<void> {
    return this.live === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops every worker now; the streams using them fail. Resolves once they have exited. */
  async stopAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    await this.whenIdle();
  }

  /**
   * A stream's lease on a worker. `key` is the payload key; `prefix`, when given, is hashed (SHA-256) ahead of
   * the sealed bytes.
   */
  open(key: Uint8Array, prefix: Uint8Array | undefined, handlers: SealHandlers): SealLease {
    const slot = this.slots.length < this.size ? this.start() : this.slots.reduce((a, b) => (b.streams.size < a.streams.size ? b : a));
    const id = this.nextId++;
    slot.streams.set(id, handlers);
    this.post(slot, { op: 'open', id, key, prefix });
    let released = false;
    return {
      seal: (seq, counter, plain, length, last) => {
        if (released) return;
        slot.inFlight += 1;
        if (slot.inFlight === 1) slot.worker.ref();
        this.post(slot, { op: 'seal', id, seq, counter, plain: plain.buffer as ArrayBuffer, length, last }, [plain.buffer as ArrayBuffer]);
      },
      release: () => {
        if (released) return;
        released = true;
        if (!slot.streams.delete(id)) return; // the worker already failed
        if (slot.streams.size === 0) this.stop(slot);
        else this.post(slot, { op: 'close', id });
      },
    };
  }

  private start(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, streams: new Map(), inFlight: 0 };
    this.slots.push(slot);
    this.live += 1;
    worker.unref();
    worker.on('message', (m: FromWorker) => {
      slot.inFlight -= 1;
      if (slot.inFlight === 0) worker.unref();
      const handlers = slot.streams.get(m.id);
      if (!handlers) return; // released meanwhile
      if ('error' in m) handlers.onError(new Error(m.error));
      else handlers.onSealed(m.seq, m.sealed.map((b) => Buffer.from(b)), Buffer.from(m.plain), m.digest);
    });
    const fail = (error: Error) => {
      const streams = [...slot.streams.values()];
      slot.streams.clear();
      this.stop(slot);
      for (const handlers of streams) handlers.onError(error);
    };
    worker.on('error', (error) => fail(new Error(`the encryption worker failed: ${error.message}`)));
    worker.on('exit', (code) => {
      this.live -= 1;
      // A worker that stops while streams still use it (killed, out of memory) fails them: none may hang.
      if (slot.streams.size > 0) fail(new Error(`the encryption worker stopped (exit code ${code})`));
      if (this.live === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    return slot;
  }

  private stop(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    void slot.worker.terminate();
  }

  private post(slot: Slot, message: ToWorker, transfer?: ArrayBuffer[]): void {
    slot.worker.postMessage(message, transfer);
  }
}

/** The process's pool, shared by every encrypting stream. */
export const sealPool = new SealPool();

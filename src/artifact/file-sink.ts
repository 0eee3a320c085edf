// A Writable that writes to a local file in blocks of BLOCK_BYTES, filled on the calling thread and written by
// libuv's thread pool, at most BLOCKS_IN_FLIGHT at a time.
//
// Why blocks: SSH hands over 32 KiB packets, and at wire speed the drain is CPU-bound. Copying each chunk into
// a block while it is still hot from decryption, and handing the kernel one full block, cut the drain of 1 GiB
// from 2.3-3.6 s (fs.createWriteStream, each chunk or a writev batch of them to the thread pool) to 1.7-1.9 s.
//
// Why the thread pool (issue 13): the blocks used to be written with writeSync. When the artifact disk is slow
// the kernel throttles the writer (balance_dirty_pages pauses it up to 200 ms per write), and with writeSync
// the writer is the event loop: keepalives, the live view and the Ctrl-C handler waited with it. Measured on a
// loop-device ext4 throttled to 2 MB/s (bench/sink.mjs; README, Performance): p99 event-loop delay 215 ms with
// writeSync, about 20 ms (the machine's noise) written by the pool, at the same throughput; on the normal disk
// the pool was no slower (it overlaps the writes with the reads). Backpressure is kept: a chunk's callback waits
// while every block is in flight, so memory stays at (BLOCKS_IN_FLIGHT + 1) x BLOCK_BYTES per file.
import { close, constants, openSync, write } from 'node:fs';
import { Writable } from 'node:stream';

// Fits with room to spare in a core's L2 cache, so the kernel copies from cache, not from memory.
const BLOCK_BYTES = 256 * 1024;
// Enough to keep a disk busy while the next block fills; few enough that parallel drains (one sink each) leave
// room in the thread pool (4 threads by default) for everything else that uses it.
const BLOCKS_IN_FLIGHT = 2;

export interface FileSinkOptions {
  mode?: number;
  /**
   * Refuse a file that already exists, and a symbolic link in its place (O_EXCL | O_NOFOLLOW): an artifact is
   * written once into a fresh directory, so anything already there means two writers or tampering.
   */
  exclusive?: boolean;
  /** Called with an error of this file's own writes (not with errors the stream is destroyed with by others). */
  onWriteError?: (error: Error) => void;
}

/**
 * Opens `file` at once, so a failure to create it (ENAMETOOLONG, EISDIR, EACCES, EEXIST...) throws here, before
 * any byte is asked for, rather than surfacing later as an 'error' event nobody may be listening to yet.
 */
export function createFileSink(file: string, options: FileSinkOptions = {}): Writable {
  const flags = constants.O_WRONLY | constants.O_CREAT | (options.exclusive ? constants.O_EXCL | constants.O_NOFOLLOW : constants.O_TRUNC);
  const fd = openSync(file, flags, options.mode ?? 0o600);
  const spare: Buffer[] = Array.from({ length: BLOCKS_IN_FLIGHT }, () => Buffer.allocUnsafeSlow(BLOCK_BYTES));
  let block: Buffer | undefined = Buffer.allocUnsafeSlow(BLOCK_BYTES);
  let used = 0;
  let position = 0;
  let inFlight = 0;
  let failure: Error | undefined;
  // Destroyed: nothing more is written (a chunk waiting for a block gives up), and the file is closed.
  let stopped = false;
  let closed = false;
  // Whoever waits for a write to come back (a chunk's copy, final, destroy); each checks again when called.
  let waiting: (() => void)[] = [];
  const settled = () => {
    const now = waiting;
    waiting = [];
    for (const next of now) next();
  };

  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    options.onWriteError?.(error);
  };
  /** Writes `length` bytes of `buffer` at `at`, going on after a short write. */
  const writeOut = (buffer: Buffer, offset: number, length: number, at: number, done: (error: Error | null) => void): void => {
    write(fd, buffer, offset, length, at, (error, written) => {
      if (error) return done(error);
      if (written < length) return writeOut(buffer, offset + written, length - written, at + written, done);
      done(null);
    });
  };
  const submit = () => {
    const full = block!;
    const length = used;
    block = undefined;
    used = 0;
    inFlight++;
    writeOut(full, 0, length, position, (error) => {
      inFlight--;
      if (error) fail(error);
      spare.push(full);
      settled();
    });
    position += length;
  };
  /** Copies a chunk into blocks; calls back once all of it is in a block (or the file failed). */
  const take = (chunk: Buffer, offset: number, callback: (error?: Error) => void): void => {
    while (offset < chunk.length) {
      if (failure) return callback(failure);
      if (stopped) return callback(new Error('the artifact file was closed'));
      if (!block) {
        block = spare.pop();
        if (!block) {
          waiting.push(() => take(chunk, offset, callback));
          return;
        }
      }
      const copied = chunk.copy(block, used, offset);
      used += copied;
      offset += copied;
      if (used === BLOCK_BYTES) submit();
    }
    callback(failure);
  };
  /** Calls back once no write is in flight. */
  const quiet = (callback: () => void): void => {
    if (inFlight === 0) return callback();
    waiting.push(() => quiet(callback));
  };
  /** Closes the file once no write is in flight (a closed fd's number could be reused under a pending write). */
  const closeFile = (callback: (error?: Error | null) => void): void =>
    quiet(() => {
      if (closed) return callback();
      closed = true;
      close(fd, (error) => callback(error));
    });

  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      take(chunk, 0, callback);
    },
    final(callback) {
      if (!failure && used > 0) submit();
      closeFile((error) => {
        if (error) fail(error);
        callback(failure);
      });
    },
    destroy(error, callback) {
      stopped = true;
      // The stream already failed; its first error is the one worth reporting, not the close's.
      closeFile(() => callback(error));
    },
  });
}

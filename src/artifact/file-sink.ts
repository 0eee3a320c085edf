// A Writable that writes to a local file in blocks of BLOCK_BYTES, filled on the calling thread. Each full
// block is written on the calling thread while the disk keeps up, and by libuv's thread pool (at most
// BLOCKS_IN_FLIGHT at a time) from the first write the kernel made wait.
//
// Why blocks: SSH hands over 32 KiB packets, and at wire speed the drain is CPU-bound. Copying each chunk into
// a block while it is still hot from decryption, and handing the kernel one full block, cut the drain of 1 GiB
// from 2.3-3.6 s (fs.createWriteStream, each chunk or a writev batch of them to the thread pool) to 1.7-1.9 s.
//
// Why two ways (issue 13): with writeSync only, a slow artifact disk stalled the event loop: the kernel throttles
// a writer that is ahead of the disk (balance_dirty_pages pauses it up to 200 ms per write), and keepalives, the
// live view and the Ctrl-C handler waited with it. Bench figure 11 (a loop-device ext4 throttled to 2 MB/s):
// event-loop p99 321 ms and max 412 ms with writeSync, 15 ms and 64 ms with the pool, at the same throughput.
// But the pool costs on a fast disk: in the loopback drain of 1 GiB (figure 1, three interleaved pairs on the
// shared 2-core machine) it was 5-10 % slower than writeSync, the kernel's copy running on another core after
// the block left this one's cache. So a file starts on the calling thread and moves to the pool for good once
// one write took longer than SLOW_WRITE_MS: the loop waits for at most that one write (a disk that hangs outright
// on the very first write still holds it, as before). Backpressure is kept
// either way: a chunk's callback waits while every block is in flight, so memory stays at
// (BLOCKS_IN_FLIGHT + 1) x BLOCK_BYTES per file.
import { close, constants, openSync, write, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

// Fits with room to spare in a core's L2 cache, so the kernel copies from cache, not from memory.
const BLOCK_BYTES = 256 * 1024;
// Enough to keep a disk busy while the next block fills; few enough that parallel drains (one sink each) leave
// room in the thread pool (4 threads by default) for everything else that uses it.
const BLOCKS_IN_FLIGHT = 2;
// A 256 KiB write into the page cache takes well under a millisecond; one the kernel throttles, tens to hundreds.
const SLOW_WRITE_MS = 20;

export interface FileSinkOptions {
  mode?: number;
  /**
   * Refuse a file that already exists, and a symbolic link in its place (O_EXCL | O_NOFOLLOW): an artifact is
   * written once into a fresh directory, so anything already there means two writers or tampering.
   */
  exclusive?: boolean;
  /** Called with an error of this file's own writes (not with errors the stream is destroyed with by others). */
  onWriteError?: (error: Error) => void;
  /** A write on the calling thread that takes longer than this moves the file's writes to the pool (tests: -1). */
  slowWriteMs?: number;
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
  // Written by the thread pool (once a write was slow) rather than on the calling thread.
  let offThread = false;
  const slowWriteMs = options.slowWriteMs ?? SLOW_WRITE_MS;
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
    used = 0;
    if (!offThread) {
      const started = performance.now();
      try {
        for (let offset = 0; offset < length; ) offset += writeSync(fd, full, offset, length - offset, position + offset);
      } catch (error) {
        fail(error as Error);
        return;
      }
      position += length;
      // The kernel made this write wait: the disk is behind, and from now on the pool waits instead.
      if (performance.now() - started > slowWriteMs) offThread = true;
      return;
    }
    block = undefined;
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

// A Writable that feeds `head` (a compressor or an encryptor) whose output flows through `rest` into a store's sink,
// and finishes only once the last byte has reached the sink: a wrapping store (gzip, age) hands the workflow one
// Writable, with backpressure, and learns how many plain bytes went in.
import { Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export function writableThrough(
  head: Duplex,
  rest: readonly [...Duplex[], Writable],
  onFinished: (plainBytes: number) => void,
): Writable {
  const sink = rest[rest.length - 1]!;
  const done = pipeline([head, ...rest]);
  let plainBytes = 0;
  const out = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      plainBytes += chunk.length;
      if (head.write(chunk)) callback();
      else head.once('drain', () => callback());
    },
    final(callback) {
      head.end();
      done.then(() => {
        onFinished(plainBytes);
        callback();
      }, callback);
    },
    destroy(error, callback) {
      head.destroy(error ?? undefined);
      sink.destroy(error ?? undefined);
      callback(error);
    },
  });
  // A failure mid-stream (the sink's write, the encryptor's worker) fails this Writable at once: a write waiting
  // for 'drain' from a destroyed head would otherwise wait forever.
  done.catch((error: Error) => out.destroy(error));
  return out;
}

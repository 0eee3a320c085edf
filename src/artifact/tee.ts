// Writes every chunk to two writables and waits for both (backpressure from the slower one), so a tar can be
// stored and parsed in one pass without being held in memory.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';

export function teeWritable(first: Writable, second: Writable, onChunk?: (chunk: Buffer) => void): Writable {
  const targets = [first, second];
  const tee = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      onChunk?.(chunk);
      const waits = targets.filter((t) => !t.write(chunk)).map((t) => once(t, 'drain'));
      if (waits.length === 0) callback();
      else Promise.all(waits).then(() => callback(), callback);
    },
    final(callback) {
      for (const t of targets) t.end();
      Promise.all(targets.map((t) => finished(t))).then(() => callback(), callback);
    },
    destroy(error, callback) {
      for (const t of targets) if (!t.destroyed) t.destroy(error ?? undefined);
      callback(error);
    },
  });
  for (const t of targets) t.on('error', (error) => tee.destroy(error));
  return tee;
}

// writableThrough: the Writable a wrapping store (gzip, age) hands the drain fails as soon as its chain fails,
// also while a write waits for room (the drain would otherwise wait forever).
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writableThrough } from './writable-through.js';

describe('writableThrough', () => {
  it('fails with the error of its head while a write waits for the head to drain', async () => {
    const head = new PassThrough({ highWaterMark: 16 });
    // A sink that takes one chunk and never finishes writing it: the head backs up.
    const sink = new Writable({ highWaterMark: 16, write: () => undefined });
    const out = writableThrough(head, [sink], () => undefined);
    const failed = once(out, 'error');
    let written = 0;
    while (out.write(Buffer.alloc(64 * 1024))) written += 1;
    expect(written).toBeLessThan(100);
    // Let the writes reach the head, then fail it as a worker error would.
    await new Promise((resolve) => setImmediate(resolve));
    head.destroy(new Error('age encryption failed: the encryption worker stopped'));
    const [error] = await failed;
    expect((error as Error).message).toMatch(/encryption worker stopped/);
  });

  it('reports the plain byte count once the sink has everything', async () => {
    const received: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (received.push(c), cb()) });
    let plainBytes = -1;
    const out = writableThrough(new PassThrough(), [sink], (n) => (plainBytes = n));
    out.write(Buffer.from('abc'));
    out.end(Buffer.from('de'));
    await once(out, 'finish');
    expect(plainBytes).toBe(5);
    expect(Buffer.concat(received).toString()).toBe('abcde');
  });
});

import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { useScratchDir } from '../../test/support/scratch-dir.js';
import { createFileSink } from './file-sink.js';

const scratch = useScratchDir('bbr-ts-file-sink-');

describe('createFileSink', () => {
  it('writes every chunk in order to a file only its owner can read', async () => {
    const file = path.join(scratch(), 'artifact.tar');
    // SSH-sized chunks that do not line up with the sink's blocks, one larger than several blocks, an empty one.
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(32 * 1024 + i, i));
    chunks.splice(50, 0, Buffer.alloc(1024 * 1024 + 3, 0xab), Buffer.alloc(0));
    await pipeline(Readable.from(chunks), createFileSink(file));
    expect((await readFile(file)).equals(Buffer.concat(chunks))).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // The same when the first block is written on the calling thread and the rest by the thread pool.
    const switched = path.join(scratch(), 'switched.tar');
    await pipeline(Readable.from(chunks), createFileSink(switched, { slowWriteMs: -1 }));
    expect((await readFile(switched)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('fails the pipeline with ENOSPC when the disk is full, reporting the write error once', async () => {
    // /dev/full answers every write with ENOSPC, as a full artifact disk does; on either thread.
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(32 * 1024));
    for (const slowWriteMs of [undefined, -1]) {
      const seen: Error[] = [];
      await expect(pipeline(Readable.from(chunks), createFileSink('/dev/full', { onWriteError: (e) => seen.push(e), slowWriteMs }))).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(seen).toEqual([expect.objectContaining({ code: 'ENOSPC' })]);
    }
  });

  it('once a write was slow, writes off the event loop: timers and I/O callbacks run meanwhile (issue 13)', async () => {
    // With writes on the calling thread, a source that is always ready (as SSH is at wire speed with a slow
    // disk) is drained without the loop ever reaching its other callbacks: keepalives, the live view, Ctrl-C.
    // `slowWriteMs: -1` takes every write for a slow one, as the kernel's throttling of a slow disk does.
    const file = path.join(scratch(), 'loop.tar');
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const chunks = Array.from({ length: 1024 }, (_, i) => Buffer.alloc(32 * 1024, i));
    await pipeline(Readable.from(chunks), createFileSink(file, { exclusive: true, slowWriteMs: -1 }));
    counting = false;
    // 32 MiB in 128 blocks: the loop came round at least once per handful of blocks.
    expect(turns).toBeGreaterThan(16);
    expect((await readFile(file)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('a sink destroyed mid-write closes its file only after the writes in flight, and writes nothing after', async () => {
    const file = path.join(scratch(), 'destroyed.tar');
    const sink = createFileSink(file, { exclusive: true, slowWriteMs: -1 });
    const closed = new Promise((resolve) => sink.on('close', resolve));
    sink.on('error', () => undefined);
    for (let i = 0; i < 64; i++) sink.write(Buffer.alloc(32 * 1024, 1));
    sink.destroy(new Error('cancelled'));
    await closed;
    const written = (await stat(file)).size;
    expect(written % (256 * 1024)).toBe(0);
    expect(written).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('throws at once when the file cannot be created', () => {
    expect(() => createFileSink(path.join(scratch(), 'missing', 'x'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('refuses an existing file or a symbolic link in its place when exclusive', async () => {
    const file = path.join(scratch(), 'taken.tar');
    await writeFile(file, 'first writer');
    expect(() => createFileSink(file, { exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    const link = path.join(scratch(), 'link.tar');
    await symlink(path.join(scratch(), 'elsewhere'), link);
    expect(() => createFileSink(link, { exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(await readFile(file, 'utf8')).toBe('first writer');
  });
});

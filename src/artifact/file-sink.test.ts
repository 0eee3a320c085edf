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
  });

  it('fails the pipeline with ENOSPC when the disk is full', async () => {
    // /dev/full answers every write with ENOSPC, as a full artifact disk does.
    await expect(pipeline(Readable.from([Buffer.alloc(1024)]), createFileSink('/dev/full'))).rejects.toMatchObject({ code: 'ENOSPC' });
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

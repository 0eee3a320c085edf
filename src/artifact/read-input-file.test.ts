import { symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { useScratchDir } from '../../test/support/scratch-dir.js';
import { readRegularFile } from './read-input-file.js';

const scratch = useScratchDir('bbr-ts-read-input-');
const read = (file: string, maxBytes = 1024) => readRegularFile(file, { maxBytes, hint: 'use an intact copy' });

describe('readRegularFile', () => {
  it('reads a regular file, also through a symbolic link', async () => {
    const file = path.join(scratch(), 'metadata');
    await writeFile(file, 'instances: []\n');
    await symlink(file, path.join(scratch(), 'link'));
    expect(await read(file)).toBe('instances: []\n');
    expect(await read(path.join(scratch(), 'link'))).toBe('instances: []\n');
  });

  it('refuses a FIFO without blocking, and a device without reading it', async () => {
    const fifo = path.join(scratch(), 'fifo');
    await execa('mkfifo', [fifo]);
    await expect(read(fifo)).rejects.toThrow(`${fifo} is not a regular file (it is a FIFO)`);
    await symlink('/dev/zero', path.join(scratch(), 'zero'));
    await expect(read(path.join(scratch(), 'zero'))).rejects.toThrow('is not a regular file (it is a character device)');
    await expect(read(scratch())).rejects.toThrow('is not a regular file (it is a directory)');
  });

  it('refuses a file above the cap, and names a missing one', async () => {
    const big = path.join(scratch(), 'big');
    await writeFile(big, '');
    await truncate(big, 1025);
    await expect(read(big)).rejects.toThrow(`${big} is larger than 1024 bytes`);
    await truncate(big, 1024);
    expect((await read(big)).length).toBe(1024);
    await expect(read(path.join(scratch(), 'missing'))).rejects.toMatchObject({ message: expect.stringMatching(/cannot read .*missing: ENOENT/), hint: 'use an intact copy' });
  });
});

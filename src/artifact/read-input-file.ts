// Opens files of a backup directory that may come from anywhere. A FIFO in place of `metadata` or a tar would
// block the open or the first read forever; a symbolic link to /dev/zero would be read until memory runs out.
// So: open without blocking (O_NONBLOCK, which a regular file ignores), check what was actually opened (fstat on
// the descriptor, after any symbolic link was followed), and read at most a cap.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ArtifactError } from '../errors.js';

/**
 * The largest `metadata` read. A checksum line is about 100 bytes, so 64 MiB lists some 600 000 files, far more
 * than BBR backups hold (job scripts usually write a few archives). Parsing YAML costs about 25 times its size
 * in memory, which keeps verify and restore near 1.6 GiB at worst.
 */
export const MAX_METADATA_BYTES = 64 * 1024 * 1024;

/** Opens `file` for reading if it is a regular file; anything else (FIFO, device, directory, socket) is refused. */
export async function openRegularFile(file: string, hint: string): Promise<{ handle: FileHandle; info: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new ArtifactError(`cannot read ${file}: ${(error as Error).message}`, { cause: error, hint });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ArtifactError(`${file} is not a regular file (it is ${kindOf(info)})`, { hint });
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads a whole regular file as UTF-8, refusing one larger than `maxBytes` (checked while reading, too). */
export async function readRegularFile(file: string, options: { maxBytes: number; hint: string }): Promise<string> {
  const { handle, info } = await openRegularFile(file, options.hint);
  const tooLarge = () =>
    new ArtifactError(`${file} is larger than ${options.maxBytes} bytes, more than any backup needs`, { hint: options.hint });
  try {
    if (info.size > options.maxBytes) throw tooLarge();
    // The size can change after fstat (a file still being written): grow as needed, never past the cap + 1.
    let buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > options.maxBytes) throw tooLarge();
        const grown = Buffer.alloc(Math.min(buffer.length * 2, options.maxBytes + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    throw new ArtifactError(`cannot read ${file}: ${(error as Error).message}`, { cause: error, hint: options.hint });
  } finally {
    await handle.close();
  }
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isDirectory()) return 'a directory';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

// Reads a tar stream once and computes the SHA-256 of every regular file, keyed './path' as BBR stores
// them (bbr-contract.md §4.3). It also refuses entries that could escape their folder when extracted.
import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import { Writable } from 'node:stream';
import tar from 'tar-stream';
import { ArtifactError } from '../errors.js';
import type { ArtifactChecksums } from './metadata-file.js';

export interface TarSummary {
  checksums: ArtifactChecksums;
  fileCount: number;
  /** Sum of regular files' sizes. */
  contentBytes: number;
}

/** BBR and GNU tar write './file'; some tools write 'file'. Both are keyed './file'. */
export function checksumKey(entryName: string): string {
  const trimmed = entryName.replace(/^\.\//, '');
  return `./${trimmed}`;
}

/** Why an entry is unsafe to extract, or undefined when it is fine. */
export function unsafeEntryReason(header: { name: string; type?: string | null; linkname?: string | null }): string | undefined {
  const name = header.name;
  if (name.startsWith('/')) return 'absolute path';
  if (name.split('/').includes('..')) return "path contains '..'";
  if ((header.type === 'symlink' || header.type === 'link') && header.linkname) {
    const target = header.linkname;
    if (header.type === 'link' && (target.startsWith('/') || target.split('/').includes('..'))) return `hard link to ${target} outside the artifact`;
    if (header.type === 'symlink') {
      const resolved = target.startsWith('/') ? target : path.normalize(path.join(path.dirname(name), target));
      if (resolved.startsWith('/') || resolved === '..' || resolved.startsWith('../')) return `symbolic link to ${target} outside the artifact`;
    }
  }
  if (header.type === 'block-device' || header.type === 'character-device' || header.type === 'fifo') return `${header.type} entry`;
  return undefined;
}

/**
 * A Writable that parses the tar bytes written into it. `summary` resolves once the stream ended and
 * every entry was read; it rejects on a malformed or unsafe tar, naming `label`.
 */
export function createTarChecksummer(label: string): { sink: Writable; summary: Promise<TarSummary> } {
  const extract = tar.extract();
  const checksums: ArtifactChecksums = {};
  let fileCount = 0;
  let contentBytes = 0;
  const summary = new Promise<TarSummary>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const unsafe = unsafeEntryReason(header);
      if (unsafe) {
        // Destroying the extractor errors the entry stream too; without a listener that would crash the process.
        stream.on('error', () => undefined);
        stream.resume();
        extract.destroy(new ArtifactError(`${label}: tar entry '${header.name}' is unsafe (${unsafe})`, {
          hint: 'the artifact may have been tampered with; do not restore it',
        }));
        return;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      const hash = createHash('sha256');
      stream.on('data', (chunk: unknown) => {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        contentBytes += bytes.length;
      });
      stream.on('end', () => {
        checksums[checksumKey(header.name)] = hash.digest('hex');
        fileCount++;
        next();
      });
      stream.on('error', next);
    });
    extract.on('finish', () => resolve({ checksums, fileCount, contentBytes }));
    extract.on('error', (error) =>
      reject(error instanceof ArtifactError ? error : new ArtifactError(`${label}: not a readable tar: ${error.message}`, { cause: error })),
    );
  });
  // Keep an unhandled rejection from surfacing before the caller awaits it.
  summary.catch(() => undefined);
  // tar-stream is built on streamx; this adapter gives Node's pipeline a real Writable with backpressure.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (extract.write(chunk)) callback();
      else extract.once('drain', () => callback());
    },
    final(callback) {
      extract.end(undefined);
      summary.then(() => callback(), callback);
    },
    destroy(error, callback) {
      extract.destroy(error ?? undefined);
      callback(error);
    },
  });
  extract.on('error', (error) => sink.destroy(error));
  return { sink, summary };
}

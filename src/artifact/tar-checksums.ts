// Reads a tar stream once and computes the SHA-256 of every regular file, keyed './path' as BBR stores
// them (bbr-contract.md §4.3). A hard link is keyed too, with the hash of the file it links to: the instance's
// `find -type f` lists every path of a hard-linked file. The stream is refused when GNU tar would extract
// anything the checksums do not describe (tar-reader.ts) or anything outside the artifact folder (tar-tree.ts).
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { ArtifactError } from '../errors.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { TarReader, TarFormatError } from './tar-reader.js';
import { ArchiveTree, UnsafeEntryError } from './tar-tree.js';

export interface TarSummary {
  checksums: ArtifactChecksums;
  /** Regular files and hard links to them. */
  fileCount: number;
  /** Sum of regular files' sizes (a hard-linked file counts once). */
  contentBytes: number;
}

/**
 * Most memory one artifact's path table may take (paths plus a fixed allowance each). The table grows with the
 * number of files, as the metadata file does; this bound keeps a hostile stream of names from growing it until
 * the heap gives out. About two million files with 60-character paths fit.
 */
export const TABLE_BUDGET_BYTES = 256 * 1024 * 1024;

export interface TarChecksummerOptions {
  /** The operator's next step when the tar is refused. */
  hint?: string;
  /** Called with each file's key and hash as soon as it is known (for a streaming comparison). */
  onFile?: (key: string, hash: string) => void;
  budgetBytes?: number;
}

const DEFAULT_HINT = 'the artifact may have been tampered with; do not restore it';

/**
 * A Writable that parses the tar bytes written into it. `summary` resolves once the stream ended and
 * every entry was read; it rejects on a malformed or unsafe tar, naming `label`.
 */
export function createTarChecksummer(
  label: string,
  options: TarChecksummerOptions = {},
): { sink: Writable; summary: Promise<TarSummary>; refusal: () => ArtifactError | undefined } {
  const hint = options.hint ?? DEFAULT_HINT;
  const budget = options.budgetBytes ?? TABLE_BUDGET_BYTES;
  const checksums: ArtifactChecksums = {};
  const tree = new ArchiveTree();
  let fileCount = 0;
  let contentBytes = 0;
  let current: { key: string; hash: Hash } | undefined;
  const record = (key: string, hash: string) => {
    checksums[key] = hash;
    fileCount++;
    options.onFile?.(key, hash);
  };
  const reader = new TarReader({
    entry(entry) {
      const placed = tree.place(entry);
      if (tree.heldBytes + fileCount * 64 > budget) {
        throw new TarFormatError(
          `the archive lists more paths than bbr-ts holds for one artifact (${fileCount} files, about ${Math.round(budget / 2 ** 20)} MiB of paths)`,
        );
      }
      if (placed.kind === 'file') current = { key: placed.key, hash: createHash('sha256') };
      else if (placed.kind === 'link-to-file') record(placed.key, checksums[placed.target]!);
    },
    data(chunk) {
      current!.hash.update(chunk);
      contentBytes += chunk.length;
    },
    entryEnd() {
      if (!current) return;
      record(current.key, current.hash.digest('hex'));
      current = undefined;
    },
  });
  let refused: ArtifactError | undefined;
  const refuse = (error: unknown): Error => {
    if (error instanceof UnsafeEntryError) refused = new ArtifactError(`${label}: ${error.message}`, { hint });
    else if (error instanceof TarFormatError) refused = new ArtifactError(`${label}: not a tar bbr-ts can restore: ${error.message}`, { hint });
    else return error as Error;
    return refused;
  };

  let settle!: { resolve: (s: TarSummary) => void; reject: (e: Error) => void };
  const summary = new Promise<TarSummary>((resolve, reject) => (settle = { resolve, reject }));
  // Keep an unhandled rejection from surfacing before the caller awaits it.
  summary.catch(() => undefined);
  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      try {
        reader.write(chunk);
        callback();
      } catch (error) {
        const refused = refuse(error);
        settle.reject(refused);
        callback(refused);
      }
    },
    final(callback) {
      try {
        reader.end();
        tree.finish();
        settle.resolve({ checksums, fileCount, contentBytes });
        callback();
      } catch (error) {
        const refused = refuse(error);
        settle.reject(refused);
        callback(refused);
      }
    },
    destroy(error, callback) {
      if (error) settle.reject(error);
      else settle.reject(new ArtifactError(`${label}: reading the tar stopped before its end`, { hint }));
      callback(error);
    },
  });
  return { sink, summary, refusal: () => refused };
}

// Reads a tar stream once and computes the SHA-256 of every regular file, keyed './path' as BBR stores
// them (bbr-contract.md §4.3). A hard link is keyed too, with the hash of the file it links to: the instance's
// `find -type f` lists every path of a hard-linked file. The stream is refused when GNU tar would extract
// anything the checksums do not describe (tar-reader.ts) or anything outside the artifact folder (tar-tree.ts).
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { ArtifactError } from '../errors.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { PathAccount } from './path-budget.js';
import { TarReader, TarFormatError } from './tar-reader.js';
import { ArchiveTree, PathBudgetError, UnsafeEntryError } from './tar-tree.js';

export interface TarSummary {
  checksums: ArtifactChecksums;
  /** Regular files and hard links to them. */
  fileCount: number;
  /** Sum of regular files' sizes (a hard-linked file counts once). */
  contentBytes: number;
}

export interface TarChecksummerOptions {
  /** The operator's next step when the tar is refused. */
  hint?: string;
  /** Called with each file's key and hash as soon as it is known (for a streaming comparison). */
  onFile?: (key: string, hash: string) => void;
  /** Where the table's paths are charged (default: the run's budget, path-budget.ts). */
  account?: PathAccount;
}

const DEFAULT_HINT = 'the artifact may have been tampered with; do not restore it';

/**
 * A Writable that parses the tar bytes written into it. `summary` resolves once the stream ended and
 * every entry was read; it rejects on a malformed or unsafe tar, naming `label`.
 */
export function createTarChecksummer(
  label: string,
  options: TarChecksummerOptions = {},
): { sink: Writable; summary: Promise<TarSummary>; refusal: () => ArtifactError | undefined; release: () => void } {
  const hint = options.hint ?? DEFAULT_HINT;
  const account = options.account ?? new PathAccount();
  const checksums: ArtifactChecksums = {};
  const tree = new ArchiveTree(account);
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
    // A refused table is dropped: what it charged goes back to the run's budget.
    account.close();
    if (error instanceof UnsafeEntryError) refused = new ArtifactError(`${label}: ${error.message}`, { hint });
    else if (error instanceof PathBudgetError) {
      refused = new ArtifactError(`${label}: ${error.message}, after ${fileCount} files of this artifact`, {
        hint: 'back up fewer files per job (archive them into fewer files in the backup script), or check the instance for tampering',
      });
    }
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
      if (error) account.close();
      if (error) settle.reject(error);
      else settle.reject(new ArtifactError(`${label}: reading the tar stopped before its end`, { hint }));
      callback(error);
    },
  });
  return { sink, summary, refusal: () => refused, release: () => account.close() };
}

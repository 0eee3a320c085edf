// The artifact store port: where backups are written to and read from. The workflows (backup, restore,
// artifact verify/show/list) only talk to this interface; a local directory (artifact/local-store.ts) and
// S3-compatible object storage (artifact/s3-store.ts) implement it. The layout is the same in both:
// `<location>/<deployment>_<timestamp>/{<group>-<index>-<job>.tar, <custom>.tar, metadata, manifest.yml}`.
import type { Readable, Writable } from 'node:stream';
import type { BackupMetadata } from '../artifact/metadata-file.js';
import type { BbrError } from '../errors.js';

/** One backup being written. */
export interface NewBackup {
  /** Where it is written now (a path or an s3:// URL), for messages. */
  readonly location: string;
  /** The path or URL of one of its files, for messages. */
  describe(file: string): string;
  /**
   * A Writable for one artifact file, created now (a name already taken fails here). It finishes only once the
   * bytes are stored (a local file flushed, an upload completed); destroying it discards what was written. Its
   * first failed write is also handed to `onWriteError`, for the message.
   */
  createArtifact(file: string, onWriteError?: (error: unknown) => void): Writable;
  /**
   * Records the metadata. A store may write it at once (local: the `.partial` name marks the directory
   * incomplete) or only when finishing complete (S3: a backup is complete exactly when its metadata exists).
   */
  writeMetadata(metadata: BackupMetadata): Promise<void>;
  writeManifest(text: string): Promise<void>;
  /**
   * Seals the backup: complete (it can be restored) or failed (never listed, verified or restored as complete).
   * Returns where it now is.
   */
  finish(succeeded: boolean): Promise<string>;
}

/** An existing backup, read without trusting it. */
export interface StoredBackup {
  readonly location: string;
  describe(file: string): string;
  /**
   * True when reading every artifact before connecting is cheap (a local disk): restore then proves every tar
   * first. Otherwise restore checks metadata, object list and sizes first and the contents on the way to each
   * instance, before anything is locked.
   */
  readonly cheapToRead: boolean;
  /** Why this is not a complete backup, found before reading it (a .partial or .failed name, a failed marker, ...). */
  notComplete(): Promise<BbrError | undefined>;
  /** The raw metadata text, bounded in size; an ArtifactError (with `hint`) when it cannot be read. */
  readMetadata(hint: string): Promise<string>;
  /** Size in bytes, undefined when nothing by that name exists. */
  size(file: string): Promise<number | undefined>;
  /** Whether a plain file (object) by that name exists. */
  hasFile(file: string): Promise<boolean>;
  /** One file for reading, refused (ArtifactError with `hint`) unless it is a plain file; with its size. */
  openChecked(file: string, hint: string, signal?: AbortSignal): Promise<{ size: number; stream: Readable }>;
  /** A stream of one file's bytes (for restore, after verification). */
  open(file: string, signal?: AbortSignal): Readable;
  /** Names of the `.tar` files it holds. */
  listTars(): Promise<string[]>;
}

export type BackupStatus = 'complete' | 'failed' | 'incomplete';

export interface ListedBackup {
  /** `<deployment>_<timestamp>` (the folder or key prefix name). */
  name: string;
  location: string;
  deployment?: string;
  time?: Date;
  bytes: number;
  status: BackupStatus;
}

/** A deployment's run lock, held from before connecting to the end of the run (issue 16). */
export interface RunLock {
  /** The lock file or object, for messages. */
  readonly location: string;
  /** Removes the lock if it is still ours; never throws (a run's result does not depend on it). */
  release(): Promise<void>;
}

/** A place for backups: a local folder or an s3://bucket/prefix. */
export interface ArtifactStore {
  /** The path or URL as the operator named it (resolved), without secrets. */
  readonly location: string;
  /** Checks that a backup can be written here, run before anything is locked; no failures means fine. */
  checkWritable(signal: AbortSignal): Promise<BbrError[]>;
  /** Where a new backup with this name would go. */
  describeNew(name: string): string;
  create(name: string): Promise<NewBackup>;
  /** The location itself as one backup (restore, verify, show take the backup's own path). */
  backup(): StoredBackup;
  /** Every backup directly under the location, oldest first. */
  list(signal?: AbortSignal): Promise<ListedBackup[]>;
  /**
   * Removes one listed backup (`artifact prune`), so that it never looks complete half-way: object storage only.
   * Local artifact paths are pruned by retention/local-history.ts, which renames directories first.
   */
  removeBackup?(name: string, signal?: AbortSignal): Promise<void>;
  /**
   * Takes the per-deployment run lock in this location, or throws RunLockedError naming the run that holds it.
   * A stale lock (its run was killed) is reported through `report` (one line) and taken over.
   */
  acquireRunLock?(deployment: string, report: (line: string) => void): Promise<RunLock>;
}

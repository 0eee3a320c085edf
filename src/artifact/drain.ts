// Drains one job's artifact from an instance: a single `tar -c` read streamed straight to disk and parsed on
// the way for per-file SHA-256, while the instance hashes the same files on a second channel. Memory stays
// flat whatever the size: bytes flow through with backpressure and are never collected.
import path from 'node:path';
import type { Writable } from 'node:stream';
import { asRoot } from '../contract/as-root.js';
import { groupCommand } from '../contract/process-group.js';
import { BbrError, DrainError } from '../errors.js';
import { lastLines, succeeded, type RemoteShell } from '../ssh/index.js';
import { ChecksumComparison, describeDifferences } from './checksum-compare.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { createFileSink } from './file-sink.js';
import { decodingSink, remoteTarArgv, type RemoteCompression } from './remote-compression.js';
import { remoteChecksums } from './remote-checksums.js';
import { PathAccount } from './path-budget.js';
import { progressSampler } from './progress-sampler.js';
import { createTarChecksummer } from './tar-checksums.js';
import { teeWritable } from './tee.js';

export interface DrainOptions {
  job: string;
  remoteDir: string;
  /** Where the tar goes: a local file, or (with `createSink`) an object's URL, for messages. */
  localFile: string;
  /**
   * Opens the destination (an artifact store's writer), which reports its first failed write; a new local file
   * at `localFile` by default.
   */
  createSink?: (onWriteError: (error: unknown) => void) => Writable;
  signal?: AbortSignal;
  /** Compress on the instance where it has the tool (`--remote-compress`); the stored artifact stays a plain tar. */
  remoteCompression?: RemoteCompression;
  /** Bytes so far; sampled (progress-sampler.ts), never per chunk. */
  onProgress?: (transferredBytes: number) => void;
}

export interface DrainResult {
  checksums: ArtifactChecksums;
  tarBytes: number;
  fileCount: number;
  contentBytes: number;
}

/** Apparent size of a remote directory in bytes (for progress and ETA). */
export async function remoteSizeBytes(shell: RemoteShell, dir: string, signal?: AbortSignal): Promise<number | undefined> {
  // Only for progress: a du that fails or outlives the command timeout just leaves the transfer without an ETA.
  const result = await shell.exec(asRoot(shell, ['du', '-sb', dir]), { signal });
  const bytes = Number.parseInt(result.stdout, 10);
  return succeeded(result) && !result.stdoutTruncated && Number.isFinite(bytes) ? bytes : undefined;
}

export async function drainArtifact(shell: RemoteShell, options: DrainOptions): Promise<DrainResult> {
  const where = `job '${options.job}' on ${shell.instance}`;
  // The first failed write of the local file, kept for the message (the pipeline reports what it saw).
  let localFailure: unknown;
  // The local file is opened before anything starts on the instance: a file that cannot be created fails
  // this drain at once, through the normal failure path (unlock, cleanup, `.failed`, summary).
  let file;
  try {
    const onWriteError = (error: unknown) => (localFailure ??= error);
    file = options.createSink ? options.createSink(onWriteError) : createFileSink(options.localFile, { exclusive: true, onWriteError });
  } catch (error) {
    throw localWriteError(error, where, options.localFile);
  }
  // The instance's hashes are compared with the tar's as both arrive; only paths not yet seen on the other side
  // are held, so the instance's list costs no second table.
  const comparison = new ChecksumComparison(new PathAccount());
  const { sink, summary, refusal } = createTarChecksummer(`artifact of ${where}`, {
    hint: `the artifact holds something bbr-ts cannot back up and restore faithfully; change what job '${options.job}'s backup script writes (or check the instance for tampering), then back up again`,
    onFile: (key, hash) => comparison.expected(key, hash),
  });
  let tarBytes = 0;
  const progress = progressSampler(options.onProgress);
  // Resolves (through the exec pipeline) only once the file is flushed and every tar entry was hashed.
  const destination = teeWritable(file, sink, (chunk) => {
    tarBytes += chunk.length;
    progress(tarBytes);
  });
  // The tee can fail before the exec pipeline is attached to it (while the channel opens): without a listener
  // of its own, that 'error' event would kill the process. The pipeline sees the destroyed stream anyway.
  destination.on('error', () => undefined);
  summary.catch(() => undefined);

  // Stopped as soon as the drain fails: a hostile instance's endless output must not go on being read.
  const stopRemote = new AbortController();
  const remoteSignal = options.signal ? AbortSignal.any([options.signal, stopRemote.signal]) : stopRemote.signal;
  const remote = remoteChecksums(shell, options.remoteDir, (key, hash) => comparison.actual(key, hash), remoteSignal);
  remote.catch(() => undefined);
  try {
    return await drain();
  } finally {
    stopRemote.abort();
    // The instance's pending paths go back to the run's budget whatever happened.
    comparison.differences();
  }

  async function drain(): Promise<DrainResult> {
    let tarResult;
    try {
      // In its own process group, so a failed local write (disk full) or a cancel stops the remote tar at once.
      const tar = groupCommand(shell, remoteTarArgv(options.remoteDir, options.remoteCompression));
      const stdout = options.remoteCompression ? decodingSink(destination, options.remoteCompression) : destination;
      stdout.on('error', () => undefined); // as for destination above: the pipeline reports it
      tarResult = await shell.exec(tar.command, { signal: options.signal, stdout, stop: tar.stop, transfer: true });
    } catch (error) {
      if (localFailure !== undefined) throw localWriteError(localFailure, where, options.localFile);
      // The parser's own refusal, not one that is a side effect of a lost connection (a truncated stream).
      const refused = refusal();
      if (refused && error === refused) throw new DrainError(refused.message, { cause: error, hint: refused.hint });
      throw new DrainError(`draining the artifact of ${where} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'check free space in the artifact path and the connection to the instance, then run backup-cleanup and back up again',
      });
    } finally {
      // Whatever happened, the local file is closed (a no-op once the pipeline finished it).
      if (!destination.writableFinished) destination.destroy();
    }
    if (localFailure !== undefined) throw localWriteError(localFailure, where, options.localFile);
    if (tarResult.stalled) {
      throw new DrainError(`draining the artifact of ${where} stalled: tar sent no data for longer than --transfer-stall-timeout, so it was stopped`, {
        hint: `check ${shell.instance} (a hung disk or tar?), then run backup-cleanup and back up again; raise --transfer-stall-timeout if the instance or this machine's disk is only slow`,
      });
    }
    if (tarResult.exitCode !== 0) {
      throw new DrainError(
        `tar on ${shell.instance} failed for job '${options.job}' (exit ${tarResult.exitCode ?? tarResult.signal}): ${lastLines(tarResult.stderrTail, 5)}`,
        { hint: 'run backup-cleanup, check the instance\'s disk and the job\'s backup script, then back up again' },
      );
    }
    const local = await summary.catch((error: unknown) => {
      const refused = error as BbrError;
      throw new DrainError(refused.message, { cause: error, hint: refused.hint });
    });
    await remote;
    const differences = comparison.differences();
    if (differences.total > 0) {
      const changed = differences.changed.count > 0;
      throw new DrainError(
        `backup is corrupted: checksums of ${where} do not match: ${describeDifferences(differences, { expected: 'in the tar', actual: 'on the instance' })}`,
        {
          hint: changed
            ? 'a file changed while it was copied, or the transfer was damaged; make sure the backup script has finished writing (and nothing else writes to the artifact folder), then back up again'
            : 'files appeared in or disappeared from the artifact folder while it was copied; make sure the backup script has finished writing (and nothing else writes there), then back up again',
        },
      );
    }
    return { checksums: local.checksums, tarBytes, fileCount: local.fileCount, contentBytes: local.contentBytes };
  }
}

/** A local file-system failure while writing an artifact, in words, with what to do about it. */
function localWriteError(error: unknown, where: string, localFile: string): DrainError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DrainError(`artifact path is full: no space left on device while writing ${localFile} (${where})`, {
      cause: error,
      hint: `free space in ${path.dirname(path.dirname(localFile))} (remove the .failed directory this run leaves) or pass --artifact-path on a bigger disk, then back up again`,
    });
  }
  return new DrainError(`cannot write the artifact of ${where} to ${localFile}: ${(error as Error).message}`, {
    cause: error,
    // A store's own failure (object storage) knows the better next step.
    hint: error instanceof BbrError && error.hint ? error.hint : `check the artifact path ${path.dirname(path.dirname(localFile))}: permissions, free space, and that nothing else writes into it; then back up again`,
  });
}

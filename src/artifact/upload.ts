// Uploads one job's artifact to an instance for restore: the local tar file is streamed (with backpressure,
// never read into memory) into `tar -x` as root, then the instance hashes what it extracted and that must equal
// the checksums recorded in metadata (bbr-contract.md §3.4 step 4).
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { asRoot } from '../contract/as-root.js';
import { ArtifactError, ChecksumMismatchError, ConnectionError } from '../errors.js';
import { lastLines, type RemoteShell } from '../ssh/index.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { checksumMismatches, describeMismatches, remoteChecksums } from './remote-checksums.js';
import { createTarChecksummer } from './tar-checksums.js';

export interface UploadOptions {
  job: string;
  /** The local tar file, or (with `open`) the artifact's URL, for messages. */
  localFile: string;
  /** Opens the artifact's bytes (an artifact store's reader); the local file by default. */
  open?: () => Readable;
  /**
   * Parse and hash the tar on its way too (a source that was not verified before connecting, e.g. object
   * storage): a tar that does not match its metadata, or is unsafe to extract, fails the upload.
   */
  checkInTransit?: boolean;
  /** Where the job's restore script will find the files (created here). */
  remoteDir: string;
  expected: ArtifactChecksums;
  signal?: AbortSignal;
  onProgress?: (transferredBytes: number) => void;
}

export async function uploadArtifact(shell: RemoteShell, options: UploadOptions): Promise<{ tarBytes: number; fileCount: number }> {
  const where = `job '${options.job}' on ${shell.instance}`;
  const made = await shell.exec(asRoot(shell, ['mkdir', '-p', options.remoteDir]), { signal: options.signal });
  if (made.exitCode !== 0) {
    throw new ConnectionError(`cannot create ${options.remoteDir} on ${shell.instance}: ${made.stderrTail.trim()}`, {
      hint: 'check free space and permissions under /var/vcap/store on the instance',
    });
  }
  let tarBytes = 0;
  const inTransit = options.checkInTransit ? createTarChecksummer(options.localFile) : undefined;
  inTransit?.summary.catch(() => undefined);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tarBytes += chunk.length;
      options.onProgress?.(tarBytes);
      if (!inTransit || inTransit.sink.write(chunk)) callback(null, chunk);
      else inTransit.sink.once('drain', () => callback(null, chunk));
    },
    flush(callback) {
      inTransit?.sink.end();
      callback();
    },
  });
  inTransit?.sink.on('error', (error: Error) => counter.destroy(error));
  const file = options.open ? options.open() : createReadStream(options.localFile);
  file.on('error', (error: Error) => counter.destroy(error));
  const source = file.pipe(counter);
  // --no-same-owner is GNU tar's default for non-root only; as root, owners come from the tar as BBR does.
  const extracted = await shell.exec(asRoot(shell, ['tar', '-C', options.remoteDir, '-x']), { signal: options.signal, stdin: source });
  if (extracted.exitCode !== 0) {
    throw new ConnectionError(
      `extracting the artifact of ${where} failed (exit ${extracted.exitCode ?? extracted.signal}): ${lastLines(extracted.stderrTail, 5)}`,
      { hint: 'check free space under /var/vcap/store on the instance, then run restore-cleanup and restore again' },
    );
  }
  if (inTransit) {
    let sent;
    try {
      sent = await inTransit.summary;
    } catch (error) {
      throw error instanceof ArtifactError ? error : new ArtifactError(`${options.localFile}: ${(error as Error).message}`, { cause: error });
    }
    const changed = checksumMismatches(options.expected, sent.checksums);
    if (changed.length > 0) {
      throw new ChecksumMismatchError(
        `${options.localFile} does not match its metadata: ${describeMismatches(changed)} (${changed.length} file(s) missing, extra or changed); nothing was locked or restored`,
        { hint: 'the backup was changed or damaged after it was taken; restore from an intact copy, and run restore-cleanup to remove what was sent' },
      );
    }
  }
  const onInstance = await remoteChecksums(shell, options.remoteDir, options.signal);
  const mismatches = checksumMismatches(options.expected, onInstance);
  if (mismatches.length > 0) {
    throw new ChecksumMismatchError(
      `backup could not be transferred intact to ${where}: checksums differ for ${describeMismatches(mismatches)} (${mismatches.length} file(s) in total)`,
      { hint: 'the copy on the instance differs from the backup; check the instance\'s disk, run restore-cleanup and restore again' },
    );
  }
  return { tarBytes, fileCount: Object.keys(onInstance).length };
}

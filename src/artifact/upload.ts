// Uploads one job's artifact to an instance for restore: the local tar file is streamed (with backpressure,
// never read into memory) into `tar -x` as root, then the instance hashes what it extracted and that must equal
// the checksums recorded in metadata (bbr-contract.md §3.4 step 4).
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { asRoot } from '../contract/as-root.js';
import { groupCommand } from '../contract/process-group.js';
import { ArtifactError, ChecksumMismatchError, RemoteCommandError } from '../errors.js';
import { lastLines, succeeded, whyFailed, type RemoteShell } from '../ssh/index.js';
import { ChecksumComparison, describeDifferences } from './checksum-compare.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { remoteChecksums } from './remote-checksums.js';
import { PathAccount } from './path-budget.js';
import { progressSampler } from './progress-sampler.js';
import { createTarChecksummer } from './tar-checksums.js';

// `cd` rather than `tar -C`: GNU tar unquotes the argument of -C when extracting, so a job named `a\tb` would
// be extracted into `a<TAB>b`. The tar was verified before (verify.ts): what it writes is what was checked.
const EXTRACT = 'cd -- "$1" && exec tar -x';

export interface UploadOptions {
  job: string;
  /** The local tar file, or (with `open`) the artifact's URL, for messages. */
  localFile: string;
  /** Opens the artifact's bytes (an artifact store's reader); the local file by default. */
  open?: () => Readable;
  /**
   * Parse and hash the tar on its way too: for a source that was not read before connecting (object storage).
   * A tar that does not match its metadata, or that holds something unsafe to extract, fails the upload, still
   * before anything is locked.
   */
  checkInTransit?: boolean;
  /** Where the job's restore script will find the files (created here). */
  remoteDir: string;
  expected: ArtifactChecksums;
  signal?: AbortSignal;
  /** Bytes so far; sampled (progress-sampler.ts), never per chunk. */
  onProgress?: (transferredBytes: number) => void;
}

export async function uploadArtifact(shell: RemoteShell, options: UploadOptions): Promise<{ tarBytes: number; fileCount: number }> {
  const where = `job '${options.job}' on ${shell.instance}`;
  const made = await shell.exec(asRoot(shell, ['mkdir', '-p', options.remoteDir]), { signal: options.signal });
  if (!succeeded(made)) {
    throw new RemoteCommandError(`cannot create ${options.remoteDir} on ${shell.instance}: ${whyFailed(made)}`, {
      hint: 'check free space and permissions under /var/vcap/store on the instance',
    });
  }
  let tarBytes = 0;
  const progress = progressSampler(options.onProgress);
  const sent = options.checkInTransit ? new ChecksumComparison(new PathAccount()) : undefined;
  sent?.expectedAll(options.expected);
  const inTransit = sent
    ? createTarChecksummer(options.localFile, {
        hint: 'the backup was changed or damaged after it was taken; restore from an intact copy, and run restore-cleanup to remove what was sent',
        onFile: (key, hash) => sent.actual(key, hash),
      })
    : undefined;
  inTransit?.summary.catch(() => undefined);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tarBytes += chunk.length;
      progress(tarBytes);
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
  // In its own process group, so a stall or a cancel stops the remote tar rather than leaving it behind.
  const tar = groupCommand(shell, ['sh', '-c', EXTRACT, 'sh', options.remoteDir]);
  let extracted;
  try {
    extracted = await shell.exec(tar.command, { signal: options.signal, stdin: source, stop: tar.stop, transfer: true });
  } catch (error) {
    throw inTransit?.refusal() ?? error;
  }
  // A tar refused on its way (unsafe entry, not a tar) says more than the instance's tar stopping halfway.
  const refused = inTransit?.refusal();
  if (refused) throw refused;
  if (extracted.stalled) {
    throw new RemoteCommandError(`uploading the artifact of ${where} stalled: tar took no data for longer than --transfer-stall-timeout, so it was stopped`, {
      hint: `check ${shell.instance} (a hung disk or tar?), then run restore-cleanup and restore again; raise --transfer-stall-timeout if the instance is only slow`,
    });
  }
  if (extracted.exitCode !== 0) {
    throw new RemoteCommandError(
      `extracting the artifact of ${where} failed (exit ${extracted.exitCode ?? extracted.signal}): ${lastLines(extracted.stderrTail, 5)}`,
      { hint: 'check free space under /var/vcap/store on the instance, then run restore-cleanup and restore again' },
    );
  }
  if (inTransit && sent) {
    try {
      await inTransit.summary;
    } catch (error) {
      throw error instanceof ArtifactError ? error : new ArtifactError(`${options.localFile}: cannot read: ${(error as Error).message}`, { cause: error });
    } finally {
      inTransit.release();
    }
    const differences = sent.differences();
    if (differences.total > 0) {
      throw new ChecksumMismatchError(
        `${options.localFile} does not match its metadata: ${describeDifferences(differences, { expected: 'in the metadata', actual: 'in the tar' })}; nothing was locked or restored`,
        { hint: 'the backup was changed or damaged after it was taken; restore from an intact copy, and run restore-cleanup to remove what was sent' },
      );
    }
  }
  const comparison = new ChecksumComparison(new PathAccount());
  comparison.expectedAll(options.expected);
  let fileCount = 0;
  let differences;
  try {
    await remoteChecksums(shell, options.remoteDir, (key, hash) => (fileCount++, comparison.actual(key, hash)), options.signal);
  } finally {
    differences = comparison.differences();
  }
  if (differences.total > 0) {
    throw new ChecksumMismatchError(
      `backup could not be transferred intact to ${where}: checksums differ: ${describeDifferences(differences, { expected: 'in the backup', actual: 'on the instance' })}`,
      { hint: 'the copy on the instance differs from the backup; check the instance\'s disk, run restore-cleanup and restore again' },
    );
  }
  return { tarBytes, fileCount };
}

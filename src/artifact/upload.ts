// Uploads one job's artifact to an instance for restore: the local tar file is streamed (with backpressure,
// never read into memory) into `tar -x` as root, then the instance hashes what it extracted and that must equal
// the checksums recorded in metadata (bbr-contract.md §3.4 step 4).
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { asRoot, asRootShell } from '../contract/as-root.js';
import { ChecksumMismatchError, ConnectionError } from '../errors.js';
import { lastLines, type RemoteShell } from '../ssh/index.js';
import { ChecksumComparison, describeDifferences } from './checksum-compare.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { remoteChecksums } from './remote-checksums.js';
import { TABLE_BUDGET_BYTES } from './tar-checksums.js';

// `cd` rather than `tar -C`: GNU tar unquotes the argument of -C when extracting, so a job named `a\tb` would
// be extracted into `a<TAB>b`. The tar was verified before (verify.ts): what it writes is what was checked.
const EXTRACT = 'cd -- "$1" && exec tar -x';

export interface UploadOptions {
  job: string;
  localFile: string;
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
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tarBytes += chunk.length;
      options.onProgress?.(tarBytes);
      callback(null, chunk);
    },
  });
  const file = createReadStream(options.localFile);
  file.on('error', (error) => counter.destroy(error));
  const source = file.pipe(counter);
  // --no-same-owner is GNU tar's default for non-root only; as root, owners come from the tar as BBR does.
  const extracted = await shell.exec(asRootShell(shell, EXTRACT, [options.remoteDir]), { signal: options.signal, stdin: source });
  if (extracted.exitCode !== 0) {
    throw new ConnectionError(
      `extracting the artifact of ${where} failed (exit ${extracted.exitCode ?? extracted.signal}): ${lastLines(extracted.stderrTail, 5)}`,
      { hint: 'check free space under /var/vcap/store on the instance, then run restore-cleanup and restore again' },
    );
  }
  const comparison = new ChecksumComparison(TABLE_BUDGET_BYTES);
  comparison.expectedAll(options.expected);
  let fileCount = 0;
  await remoteChecksums(shell, options.remoteDir, (key, hash) => (fileCount++, comparison.actual(key, hash)), options.signal);
  const differences = comparison.differences();
  if (differences.total > 0) {
    throw new ChecksumMismatchError(
      `backup could not be transferred intact to ${where}: checksums differ: ${describeDifferences(differences, { expected: 'in the backup', actual: 'on the instance' })}`,
      { hint: 'the copy on the instance differs from the backup; check the instance\'s disk, run restore-cleanup and restore again' },
    );
  }
  return { tarBytes, fileCount };
}

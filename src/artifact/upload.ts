// Uploads one job's artifact to an instance for restore: the local tar file is streamed (with backpressure,
// never read into memory) into `tar -x` as root, then the instance hashes what it extracted and that must equal
// the checksums recorded in metadata (bbr-contract.md §3.4 step 4).
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { asRoot } from '../contract/as-root.js';
import { groupCommand } from '../contract/process-group.js';
import { ChecksumMismatchError, ConnectionError } from '../errors.js';
import { lastLines, succeeded, whyFailed, type RemoteShell } from '../ssh/index.js';
import { ChecksumComparison, describeDifferences } from './checksum-compare.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { remoteChecksums } from './remote-checksums.js';
import { PathAccount } from './path-budget.js';

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
  if (!succeeded(made)) {
    throw new ConnectionError(`cannot create ${options.remoteDir} on ${shell.instance}: ${whyFailed(made)}`, {
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
  // In its own process group, so a stall or a cancel stops the remote tar rather than leaving it behind.
  const tar = groupCommand(shell, ['sh', '-c', EXTRACT, 'sh', options.remoteDir]);
  const extracted = await shell.exec(tar.command, { signal: options.signal, stdin: source, stop: tar.stop, transfer: true });
  if (extracted.stalled) {
    throw new ConnectionError(`uploading the artifact of ${where} stalled: tar took no data for longer than --transfer-stall-timeout, so it was stopped`, {
      hint: `check ${shell.instance} (a hung disk or tar?), then run restore-cleanup and restore again; raise --transfer-stall-timeout if the instance is only slow`,
    });
  }
  if (extracted.exitCode !== 0) {
    throw new ConnectionError(
      `extracting the artifact of ${where} failed (exit ${extracted.exitCode ?? extracted.signal}): ${lastLines(extracted.stderrTail, 5)}`,
      { hint: 'check free space under /var/vcap/store on the instance, then run restore-cleanup and restore again' },
    );
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

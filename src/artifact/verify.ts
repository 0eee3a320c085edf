// Offline verification of a local artifact directory (bbr-contract.md §3.4 step 1): metadata parses, every listed
// tar is present and safe to extract, and its per-file SHA-256 equal the recorded ones exactly. Restore runs it
// before opening any connection; `artifact verify` prints its verdicts.
import { customArtifactFile, instanceArtifactFile } from './file-names.js';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { ArtifactError, ChecksumMismatchError, type BbrError } from '../errors.js';
import { lengthProblem } from '../names.js';
import type { StoredBackup } from '../orchestrate/artifact-store.js';
import { localBackup } from './local-store.js';
import { parseBackupMetadata, type ArtifactChecksums, type BackupMetadata } from './metadata-file.js';
import { ChecksumComparison, describeDifferences } from './checksum-compare.js';
import { createTarChecksummer } from './tar-checksums.js';

export interface ArtifactVerdict {
  /** Tar file name inside the directory, e.g. `web-0-web-server.tar`. */
  file: string;
  /** `group/index job` for instance artifacts, the custom name for custom ones. */
  label: string;
  /** Only set for instance artifacts. */
  instance?: { group: string; index: string; job: string };
  expected: ArtifactChecksums;
  tarBytes?: number;
  /**
   * A custom artifact listed without files whose tar is absent. BBR accepts it (backup_directory.go Valid ignores
   * the unreadable tar, and no checksums match no checksums); Go bbr writes these for the legacy mysql-restore job.
   */
  absent?: boolean;
  fileCount?: number;
  contentBytes?: number;
  problem?: BbrError;
}

export interface VerifiedArtifact {
  directory: string;
  metadata?: BackupMetadata;
  verdicts: ArtifactVerdict[];
  /** Everything wrong with the directory: one error per broken artifact plus directory-level problems. */
  failures: BbrError[];
}

const TAMPERED_HINT = 'the backup was changed or damaged after it was taken; restore from an intact copy';

/** `<group>-<index>-<job>.tar` for an instance artifact (BBR's name), `<name>.tar` for a custom one. */
export function expectedArtifacts(metadata: BackupMetadata): ArtifactVerdict[] {
  const verdicts: ArtifactVerdict[] = [];
  for (const instance of metadata.instances) {
    for (const artifact of instance.artifacts) {
      verdicts.push({
        file: instanceArtifactFile(instance.name, instance.index, artifact.name),
        label: `${instance.name}/${instance.index} ${artifact.name}`,
        instance: { group: instance.name, index: instance.index, job: artifact.name },
        expected: artifact.checksums,
      });
    }
  }
  for (const custom of metadata.customArtifacts) {
    verdicts.push({ file: customArtifactFile(custom.name), label: `custom artifact ${custom.name}`, expected: custom.checksums });
  }
  return verdicts;
}

export async function verifyArtifactDirectory(directory: string, options: { signal?: AbortSignal } = {}): Promise<VerifiedArtifact> {
  return verifyBackup(localBackup(directory), options);
}

/**
 * Verifies a stored backup. With `contents: false` (restore from object storage) only the metadata, the
 * listing and the sizes are checked here; the contents are proved on the way to each instance instead.
 */
export async function verifyBackup(stored: StoredBackup, options: { signal?: AbortSignal; contents?: boolean } = {}): Promise<VerifiedArtifact> {
  const result: VerifiedArtifact = { directory: stored.location, verdicts: [], failures: [] };
  const notComplete = await stored.notComplete();
  if (notComplete) {
    result.failures.push(notComplete);
    return result;
  }
  const metadataFile = stored.describe('metadata');
  let text: string;
  try {
    text = await stored.readMetadata('a complete backup directory has a metadata file; use an intact copy');
  } catch (error) {
    result.failures.push(error as BbrError);
    return result;
  }
  try {
    result.metadata = parseBackupMetadata(text, metadataFile);
  } catch (error) {
    result.failures.push(error as BbrError);
    return result;
  }

  result.verdicts = expectedArtifacts(result.metadata);
  const unusable = findFileNameProblems(result.verdicts);
  if (unusable.length > 0) {
    result.failures.push(...unusable);
    return result;
  }
  const limit = pLimit(4);
  const check = options.contents === false ? checkPresence : verifyOne;
  await Promise.all(result.verdicts.map((verdict) => limit(() => check(stored, verdict, options.signal))));
  for (const verdict of result.verdicts) if (verdict.problem) result.failures.push(verdict.problem);

  const listed = new Set(result.verdicts.map((v) => v.file));
  const extra = (await stored.listTars()).filter((name) => !listed.has(name)).sort();
  for (const name of extra) {
    result.failures.push(
      new ArtifactError(`${stored.describe(name)} is not listed in the backup's metadata`, {
        hint: `${TAMPERED_HINT}, or remove the stray file if you know where it came from`,
      }),
    );
  }
  return result;
}

/**
 * Names in the metadata were checked one by one when it was parsed; joined into file names they can still be
 * too long, or two artifacts can map to one file (`db` + `0-j` and `db-0` + `j` both read `db-0-0-j.tar`):
 * the same bytes would then be verified, and restored, as two different artifacts.
 */
export function findFileNameProblems(verdicts: readonly ArtifactVerdict[]): ArtifactError[] {
  const problems: ArtifactError[] = [];
  const owners = new Map<string, string>();
  for (const verdict of verdicts) {
    const tooLong = lengthProblem(verdict.file);
    const other = owners.get(verdict.file);
    if (tooLong) {
      problems.push(new ArtifactError(`metadata lists ${verdict.label}, whose file name ${verdict.file} cannot be used: ${tooLong}`, { hint: TAMPERED_HINT }));
    } else if (other !== undefined) {
      problems.push(new ArtifactError(`metadata lists ${other} and ${verdict.label}, which would both be read from ${verdict.file}`, { hint: TAMPERED_HINT }));
    } else {
      owners.set(verdict.file, verdict.label);
    }
  }
  return problems;
}

/** Present, or absent as BBR accepts it. False when the verdict is settled without reading the tar. */
async function present(stored: StoredBackup, verdict: ArtifactVerdict): Promise<boolean> {
  const size = await stored.size(verdict.file);
  if (size === undefined && verdict.instance === undefined && Object.keys(verdict.expected).length === 0) {
    verdict.absent = true;
    verdict.fileCount = 0;
    verdict.contentBytes = 0;
    return false;
  }
  // Whether it is a regular file is checked when it is opened (a FIFO must not block the open).
  if (size === undefined) {
    verdict.problem = new ArtifactError(`${stored.describe(verdict.file)} is missing (metadata lists it for ${verdict.label})`, { hint: TAMPERED_HINT });
    return false;
  }
  return true;
}

/** Without reading the contents: the tar is there and its size can be a tar's (whole 512-byte blocks). */
async function checkPresence(stored: StoredBackup, verdict: ArtifactVerdict): Promise<void> {
  if (!(await present(stored, verdict))) return;
  const size = (await stored.size(verdict.file))!;
  verdict.tarBytes = size;
  if (size === 0 || size % 512 !== 0) {
    verdict.problem = new ArtifactError(`${stored.describe(verdict.file)} is ${size} bytes long, which no complete tar is (metadata lists it for ${verdict.label})`, {
      hint: TAMPERED_HINT,
    });
  }
}

async function verifyOne(stored: StoredBackup, verdict: ArtifactVerdict, signal: AbortSignal | undefined): Promise<void> {
  if (!(await present(stored, verdict))) return;
  const file = stored.describe(verdict.file);
  let opened;
  try {
    opened = await stored.openChecked(verdict.file, TAMPERED_HINT, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    verdict.problem = error as ArtifactError;
    return;
  }
  verdict.tarBytes = opened.size;
  const comparison = new ChecksumComparison();
  comparison.expectedAll(verdict.expected);
  const { sink, summary, release } = createTarChecksummer(file, { hint: TAMPERED_HINT, onFile: (key, hash) => comparison.actual(key, hash) });
  try {
    await pipeline(opened.stream, sink, { signal });
    const local = await summary;
    verdict.fileCount = local.fileCount;
    verdict.contentBytes = local.contentBytes;
    const differences = comparison.differences();
    if (differences.total > 0) {
      verdict.problem = new ChecksumMismatchError(
        `${file} does not match its metadata: ${describeDifferences(differences, { expected: 'in the metadata', actual: 'in the tar' })}`,
        { hint: TAMPERED_HINT },
      );
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    // The parser's refusal says more than the pipeline's error (which may be a side effect of it).
    const refused = await summary.then(() => undefined, (e: unknown) => e);
    const problem = refused instanceof ArtifactError ? refused : error;
    verdict.problem =
      problem instanceof ArtifactError ? problem : new ArtifactError(`${file}: cannot read: ${(problem as Error).message}`, { cause: problem, hint: TAMPERED_HINT });
  } finally {
    // Only the verdict is kept; the tar's table goes back to the run's path budget.
    release();
  }
}

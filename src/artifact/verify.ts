// Offline verification of a local artifact directory (bbr-contract.md §3.4 step 1): metadata parses, every listed
// tar is present and safe to extract, and its per-file SHA-256 equal the recorded ones exactly. Restore runs it
// before opening any connection; `artifact verify` prints its verdicts.
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { ArtifactError, ChecksumMismatchError, type BbrError } from '../errors.js';
import type { StoredBackup } from '../orchestrate/artifact-store.js';
import { localBackup } from './local-store.js';
import { parseBackupMetadata, type ArtifactChecksums, type BackupMetadata } from './metadata-file.js';
import { checksumMismatches, describeMismatches } from './remote-checksums.js';
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
        file: `${instance.name}-${instance.index}-${artifact.name}.tar`,
        label: `${instance.name}/${instance.index} ${artifact.name}`,
        instance: { group: instance.name, index: instance.index, job: artifact.name },
        expected: artifact.checksums,
      });
    }
  }
  for (const custom of metadata.customArtifacts) {
    verdicts.push({ file: `${custom.name}.tar`, label: `custom artifact ${custom.name}`, expected: custom.checksums });
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
    text = await stored.readMetadata();
  } catch (error) {
    result.failures.push(new ArtifactError(`cannot read ${metadataFile}: ${(error as Error).message}`, { cause: error, hint: 'a complete backup directory has a metadata file; use an intact copy' }));
    return result;
  }
  try {
    result.metadata = parseBackupMetadata(text, metadataFile);
  } catch (error) {
    result.failures.push(error as BbrError);
    return result;
  }

  result.verdicts = expectedArtifacts(result.metadata);
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

/** Present, or absent as BBR accepts it; sets `tarBytes`. False when the verdict is settled without reading. */
async function present(stored: StoredBackup, verdict: ArtifactVerdict): Promise<boolean> {
  const file = stored.describe(verdict.file);
  const size = await stored.size(verdict.file);
  if (size === undefined && verdict.instance === undefined && Object.keys(verdict.expected).length === 0) {
    verdict.absent = true;
    verdict.fileCount = 0;
    verdict.contentBytes = 0;
    return false;
  }
  if (size === undefined) {
    verdict.problem = new ArtifactError(`${file} is missing (metadata lists it for ${verdict.label})`, { hint: TAMPERED_HINT });
    return false;
  }
  verdict.tarBytes = size;
  return true;
}

/** Without reading the contents: the tar is there and its size can be a tar (whole 512-byte blocks). */
async function checkPresence(stored: StoredBackup, verdict: ArtifactVerdict): Promise<void> {
  if (!(await present(stored, verdict))) return;
  const size = verdict.tarBytes!;
  if (size === 0 || size % 512 !== 0) {
    verdict.problem = new ArtifactError(`${stored.describe(verdict.file)} is ${size} bytes long, which no complete tar is (metadata lists it for ${verdict.label})`, {
      hint: TAMPERED_HINT,
    });
  }
}

async function verifyOne(stored: StoredBackup, verdict: ArtifactVerdict, signal: AbortSignal | undefined): Promise<void> {
  if (!(await present(stored, verdict))) return;
  const file = stored.describe(verdict.file);
  const { sink, summary } = createTarChecksummer(file);
  try {
    await pipeline(stored.open(verdict.file, signal), sink, { signal });
    const local = await summary;
    verdict.fileCount = local.fileCount;
    verdict.contentBytes = local.contentBytes;
    const mismatches = checksumMismatches(verdict.expected, local.checksums);
    if (mismatches.length > 0) {
      verdict.problem = new ChecksumMismatchError(
        `${file} does not match its metadata: ${describeMismatches(mismatches)} (${mismatches.length} file(s) missing, extra or changed)`,
        { hint: TAMPERED_HINT },
      );
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    verdict.problem =
      error instanceof ArtifactError ? error : new ArtifactError(`${file}: cannot read: ${(error as Error).message}`, { cause: error, hint: TAMPERED_HINT });
  }
}

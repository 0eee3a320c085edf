// The backups in a local artifact path, as the retention policy sees them, and their removal.
// The artifact path may hold anything (other tools' files, crafted names): only real directories whose name
// parses as `<deployment>_<YYYYMMDDTHHMMSSZ>[.failed|.partial]` are backups; everything else is never touched.
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactError } from '../errors.js';
import { nameProblem, quoteName } from '../names.js';
import type { BackupEntry, BackupState } from './policy.js';

/** A directory being removed is first renamed to this suffix, so a half-removed backup never looks complete. */
export const REMOVING_SUFFIX = '.removing';

const BACKUP_NAME = /^(.+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(\.failed|\.partial)?(\.removing)?$/;

export interface LocalBackup extends BackupEntry {
  /** Left half-removed by an interrupted prune: always removed. */
  readonly leftover: boolean;
}

/** Parses a directory name; undefined when it is not a backup's name. Exported for tests. */
export function parseBackupName(name: string): { deployment: string; time: Date; suffixState?: BackupState; leftover: boolean } | undefined {
  const m = BACKUP_NAME.exec(name);
  if (!m) return undefined;
  const [, deployment, y, mo, d, h, mi, s, suffix, removing] = m;
  if (nameProblem(deployment!) !== undefined) return undefined;
  const time = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!));
  // Reject dates that roll over (20260231 would silently become 3 March).
  if (time.getUTCMonth() !== +mo! - 1 || time.getUTCDate() !== +d! || time.getUTCHours() !== +h! || time.getUTCMinutes() !== +mi!) return undefined;
  const suffixState = suffix === '.failed' ? 'failed' : suffix === '.partial' ? 'partial' : undefined;
  return { deployment: deployment!, time, ...(suffixState ? { suffixState } : {}), leftover: removing !== undefined };
}

/** Lists the backups in `artifactPath` (of one deployment when given). */
export async function listLocalBackups(artifactPath: string, deployment?: string): Promise<LocalBackup[]> {
  const entries = await readdir(artifactPath, { withFileTypes: true }).catch((error: Error) => {
    throw new ArtifactError(`cannot list the artifact path ${quoteName(artifactPath)}: ${error.message}`, {
      cause: error,
      hint: 'pass the folder that holds the <deployment>_<timestamp> directories (the --artifact-path of backup)',
    });
  });
  const backups: LocalBackup[] = [];
  for (const dirent of entries) {
    // A symbolic link is never a backup of ours, whatever it is named: never followed, never removed.
    if (!dirent.isDirectory()) continue;
    const parsed = parseBackupName(dirent.name);
    if (!parsed || (deployment !== undefined && parsed.deployment !== deployment)) continue;
    const state = parsed.suffixState ?? ((await hasMetadataFile(path.join(artifactPath, dirent.name))) ? 'complete' : 'incomplete');
    backups.push({ name: dirent.name, deployment: parsed.deployment, time: parsed.time, state, leftover: parsed.leftover });
  }
  return backups;
}

/** A backup renamed into place always has its `metadata` file (it is written before the rename). */
async function hasMetadataFile(dir: string): Promise<boolean> {
  const info = await lstat(path.join(dir, 'metadata')).catch(() => undefined);
  return info?.isFile() === true;
}

/**
 * Removes one backup directory: renamed to `<name>.removing` first (atomic), then deleted, so an interruption
 * leaves a name the next prune removes and that no one mistakes for a backup.
 */
export async function removeLocalBackup(artifactPath: string, name: string): Promise<void> {
  const from = path.join(artifactPath, name);
  const to = name.endsWith(REMOVING_SUFFIX) ? from : from + REMOVING_SUFFIX;
  try {
    if (to !== from) await rename(from, to);
    await rm(to, { recursive: true });
  } catch (error) {
    throw new ArtifactError(`cannot remove ${quoteName(from)}: ${(error as Error).message}`, {
      cause: error,
      hint: `check permissions in ${quoteName(artifactPath)}; what could not be removed is named ${quoteName(path.basename(to))} and the next prune retries it`,
    });
  }
}

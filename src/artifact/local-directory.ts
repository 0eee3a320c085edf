// The local artifact directory of one backup. It is written under a '.partial' name and renamed into place
// only when complete, so a failed or interrupted backup never looks like a good one.
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactError } from '../errors.js';
import { serializeBackupMetadata, type BackupMetadata } from './metadata-file.js';

export const PARTIAL_SUFFIX = '.partial';
export const FAILED_SUFFIX = '.failed';

export interface ArtifactDirectory {
  /** Where files are written now. */
  readonly workPath: string;
  /** Where the directory ends up when the backup succeeds. */
  readonly finalPath: string;
  filePath(name: string): string;
  writeMetadata(metadata: BackupMetadata): Promise<void>;
  writeManifest(text: string): Promise<void>;
  /** Renames to the final name on success, to `<name>.failed` otherwise; returns the path it now has. */
  finish(succeeded: boolean): Promise<string>;
}

export async function createArtifactDirectory(artifactPath: string, name: string): Promise<ArtifactDirectory> {
  const parent = path.resolve(artifactPath);
  const info = await stat(parent).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ArtifactError(`artifact path ${parent} is not an existing directory`, {
      hint: 'create it first, or pass another folder with --artifact-path',
    });
  }
  const finalPath = path.join(parent, name);
  const workPath = finalPath + PARTIAL_SUFFIX;
  for (const taken of [finalPath, workPath]) {
    if (await stat(taken).catch(() => undefined)) {
      throw new ArtifactError(`artifact directory ${taken} already exists`, { hint: 'wait a second and run again, or move the old directory away' });
    }
  }
  await local(`cannot create the artifact directory ${workPath}`, () => mkdir(workPath, { mode: 0o700 }));
  const filePath = (file: string) => path.join(workPath, file);
  return {
    workPath,
    finalPath,
    filePath,
    writeMetadata: (metadata) =>
      local(`cannot write the metadata file in ${workPath}`, () => writeFile(filePath('metadata'), serializeBackupMetadata(metadata), { mode: 0o600 })),
    writeManifest: (text) => local(`cannot write manifest.yml in ${workPath}`, () => writeFile(filePath('manifest.yml'), text, { mode: 0o600 })),
    async finish(succeeded) {
      const target = succeeded ? finalPath : finalPath + FAILED_SUFFIX;
      await local(`cannot rename ${workPath} to ${target}`, () => rename(workPath, target));
      return target;
    },
  };
}

/** Runs one local file-system step; a failure becomes an ArtifactError that says which step and what to do. */
async function local<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new ArtifactError(`${what}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check free space and permissions in the artifact path (--artifact-path), then back up again',
    });
  }
}

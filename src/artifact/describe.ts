// What a backup directory holds, read from its metadata and file sizes only (cheap: no tar is read).
// `artifact show` renders it; `artifact verify` is the one that proves the contents.
import path from 'node:path';
import { ArtifactError } from '../errors.js';
import type { StoredBackup } from '../orchestrate/artifact-store.js';
import { localBackup } from './local-store.js';
import { parseBackupMetadata, type BackupMetadata } from './metadata-file.js';
import { expectedArtifacts } from './verify.js';

export interface ArtifactDescription {
  directory: string;
  /** From the directory name `<deployment>_<YYYYMMDDTHHMMSSZ>`; undefined when it has another name. */
  deployment?: string;
  metadata: BackupMetadata;
  hasManifest: boolean;
  artifacts: { file: string; label: string; fileCount: number; tarBytes?: number }[];
}

const DIRECTORY_NAME = /^(.+)_\d{8}T\d{6}Z$/;

export async function describeArtifactDirectory(directory: string): Promise<ArtifactDescription> {
  return describeBackup(localBackup(directory));
}

export async function describeBackup(stored: StoredBackup): Promise<ArtifactDescription> {
  const metadataFile = stored.describe('metadata');
  let text: string;
  try {
    text = await stored.readMetadata();
  } catch (error) {
    throw new ArtifactError(`cannot read ${metadataFile}: ${(error as Error).message}`, {
      cause: error,
      hint: 'pass a <deployment>_<timestamp> directory written by a backup',
    });
  }
  const metadata = parseBackupMetadata(text, metadataFile);
  const artifacts = await Promise.all(
    expectedArtifacts(metadata).map(async (a) => ({
      file: a.file,
      label: a.label,
      fileCount: Object.keys(a.expected).length,
      tarBytes: await stored.size(a.file),
    })),
  );
  const hasManifest = (await stored.size('manifest.yml')) !== undefined;
  return { directory: stored.location, deployment: DIRECTORY_NAME.exec(path.basename(stored.location))?.[1], metadata, hasManifest, artifacts };
}

// What a backup directory holds, read from its metadata and file sizes only (cheap: no tar is read).
// `artifact show` renders it; `artifact verify` is the one that proves the contents.
import path from 'node:path';
import type { StoredBackup } from '../orchestrate/artifact-store.js';
import { localBackup } from './local-store.js';
import { parseBackupMetadata, type BackupMetadata } from './metadata-file.js';
import { expectedArtifacts, findFileNameProblems } from './verify.js';

export interface ArtifactDescription {
  directory: string;
  /** From the directory name `<deployment>_<YYYYMMDDTHHMMSSZ>`; undefined when it has another name. */
  deployment?: string;
  metadata: BackupMetadata;
  hasManifest: boolean;
  /** `custom`: listed under custom_artifacts (backup_one_restore_all), not under an instance. */
  artifacts: { file: string; label: string; custom: boolean; fileCount: number; tarBytes?: number }[];
}

const DIRECTORY_NAME = /^(.+)_\d{8}T\d{6}Z$/;

export async function describeArtifactDirectory(directory: string): Promise<ArtifactDescription> {
  return describeBackup(localBackup(directory));
}

export async function describeBackup(stored: StoredBackup): Promise<ArtifactDescription> {
  const dir = stored.location;
  const metadataFile = stored.describe('metadata');
  const text = await stored.readMetadata('pass a <deployment>_<timestamp> directory written by a backup');
  const metadata = parseBackupMetadata(text, metadataFile);
  const expected = expectedArtifacts(metadata);
  const [unusable] = findFileNameProblems(expected);
  if (unusable) throw unusable;
  const artifacts = await Promise.all(
    expected.map(async (a) => ({
      file: a.file,
      label: a.label,
      custom: a.instance === undefined,
      fileCount: Object.keys(a.expected).length,
      tarBytes: await stored.size(a.file),
    })),
  );
  const hasManifest = await stored.hasFile('manifest.yml');
  return { directory: dir, deployment: DIRECTORY_NAME.exec(path.basename(dir))?.[1], metadata, hasManifest, artifacts };
}

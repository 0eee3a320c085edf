// Where `job test` puts its stand-in for /var/vcap/store/bbr-backup/<job>/. On a VM that folder is on the
// persistent disk, the same filesystem as the job's data, and blobstore jobs rely on it: bosh's and capi's
// backups hard-link their blobs into $BBR_ARTIFACT_DIRECTORY (`cp -rl`), which fails with EXDEV across
// filesystems. /var/vcap/store is its own filesystem on every BOSH VM, so the OS temp dir will not do there.
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

export const VM_STORE = '/var/vcap/store';

export interface ScratchLocation {
  /** The folder the scratch folder is created in. */
  parent: string;
  /** Why this folder, for the report. */
  reason: string;
}

/**
 * The operator's choice when given; else the store next to the job (`<root>/store` for a job installed at
 * `<root>/jobs/<job>`, as on a VM), else /var/vcap/store, else the OS temp dir.
 */
export async function chooseScratchLocation(jobDir: string, explicit?: string): Promise<ScratchLocation> {
  if (explicit !== undefined) {
    const parent = path.resolve(explicit);
    if (!(await isDirectory(parent))) {
      throw new UsageError(`--scratch-dir ${explicit} is not an existing folder: create it first, on the filesystem of the job's data`);
    }
    return { parent, reason: 'chosen with --scratch-dir' };
  }
  const candidates: string[] = [];
  if (path.basename(path.dirname(jobDir)) === 'jobs') candidates.push(path.join(path.dirname(path.dirname(jobDir)), 'store'));
  candidates.push(VM_STORE);
  for (const candidate of candidates) {
    if (await isDirectory(candidate)) {
      return { parent: candidate, reason: `on the filesystem of ${candidate}, as on a VM; --scratch-dir changes it` };
    }
  }
  return {
    parent: os.tmpdir(),
    reason: `in the temp folder: no ${candidates.join(' or ')} here; scripts that hard-link their data into $BBR_ARTIFACT_DIRECTORY need --scratch-dir on the data's filesystem`,
  };
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() === true;
}

// Reads a deployment manifest from disk and parses it; turns file-system failures into ManifestErrors
// with the operator's next step.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ManifestError } from '../errors.js';
import { parseManifest } from './parse-manifest.js';
import type { DeploymentManifest, ManifestOptions } from './types.js';

export async function loadManifest(file: string, options: ManifestOptions): Promise<DeploymentManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ManifestError(`manifest file not found: ${file}`, {
        hint:
          `check the manifest path (resolved to ${resolve(file)}); ` +
          `'bosh -d <deployment> manifest > ${file}' writes it`,
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    const reason = code === 'EISDIR' ? 'it is a directory' : message;
    throw new ManifestError(`cannot read manifest file ${file}: ${reason}`, {
      hint: 'pass a readable manifest file; check its path and permissions',
      cause: error,
    });
  }
  return parseManifest(text, file, options);
}

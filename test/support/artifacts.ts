// Helpers for tests that restore or verify backups: the Go-bbr-format fixture and file-tree fingerprints.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './cli.js';

export const BBR_ARTIFACT_FIXTURE = path.join(REPO_ROOT, 'fixtures', 'bbr-artifact');

/** Builds fixtures/bbr-artifact (metadata written by hand in BBR's style, tars by GNU tar) as `<parent>/<name>`. */
export async function buildBbrArtifact(name = 'example_20190227T101030Z'): Promise<string> {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-bbr-artifact-'));
  const dir = path.join(parent, name);
  await execa(path.join(BBR_ARTIFACT_FIXTURE, 'build.sh'), [dir]);
  return dir;
}

/** `./relative/path` → sha256 of every regular file under `root` ({} when it does not exist). */
export async function treeHashes(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) result[`./${path.relative(root, full)}`] = createHash('sha256').update(await readFile(full)).digest('hex');
    }
  }
  await walk(root);
  return result;
}

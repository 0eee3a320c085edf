// loadManifest against real files in a temporary directory: success, missing file, unreadable path.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../errors.js';
import { loadManifest } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bbr-ts-manifest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TEXT = 'name: shop\ninstance_groups:\n- { name: web, instances: 1, jobs: [], networks: [{ name: n, static_ips: [127.0.0.2] }] }\n';

describe('loadManifest', () => {
  it('reads and parses a manifest file, keeping its raw text', async () => {
    const file = join(dir, 'good.yml');
    await writeFile(file, TEXT);
    const manifest = await loadManifest(file, { sshPort: 22 });
    expect(manifest.file).toBe(file);
    expect(manifest.text).toBe(TEXT);
    expect(manifest.instances).toEqual([
      { group: 'web', index: 0, name: 'web/0', host: '127.0.0.2', port: 22, jobs: [] },
    ]);
  });

  it('says which file is missing and hints at the resolved path', async () => {
    const file = join(dir, 'missing.yml');
    const error = await loadManifest(file, { sshPort: 22 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toBe(`manifest file not found: ${file}`);
    expect((error as ManifestError).hint).toContain(file);
    expect((error as ManifestError).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('reports a directory given as the manifest', async () => {
    const error = await loadManifest(dir, { sshPort: 22 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toBe(`cannot read manifest file ${dir}: it is a directory`);
  });

  // root reads any file regardless of its mode, so the check only means something for other users.
  it.skipIf(process.getuid?.() === 0)('reports a file it may not read', async () => {
    const file = join(dir, 'secret.yml');
    await writeFile(file, TEXT);
    await chmod(file, 0o000);
    const error = await loadManifest(file, { sshPort: 22 }).catch((e: unknown) => e);
    expect((error as ManifestError).message).toMatch(/^cannot read manifest file .*secret\.yml: EACCES/);
  });

  it('reports a path that runs through a file', async () => {
    const file = join(dir, 'plain.yml');
    await writeFile(file, TEXT);
    const error = await loadManifest(join(file, 'nested.yml'), { sshPort: 22 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toMatch(/^cannot read manifest file .*nested\.yml: ENOTDIR/);
  });

  it('passes parse errors through with the file name', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'name: [\n');
    await expect(loadManifest(file, { sshPort: 22 })).rejects.toThrow(`${file}: invalid YAML`);
  });
});

// verifyArtifactDirectory on directories built here with tar-stream: custom artifacts, links and the verdict
// details (the GNU tar corruptions are exercised end to end in test/e2e/artifact-verify.test.ts).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ArtifactError, ChecksumMismatchError } from '../errors.js';
import { serializeBackupMetadata, type BackupMetadata } from './metadata-file.js';
import { verifyArtifactDirectory } from './verify.js';

type Entry = { name: string; content?: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname }, e.content ?? '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function backupDir(files: Record<string, Buffer>, metadata: BackupMetadata, name = 'd_20240501T100001Z'): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-verify-')), name);
  await mkdir(dir);
  await writeFile(path.join(dir, 'metadata'), serializeBackupMetadata(metadata));
  for (const [file, bytes] of Object.entries(files)) await writeFile(path.join(dir, file), bytes);
  return dir;
}

const META: BackupMetadata = {
  instances: [{ name: 'web', index: '0', artifacts: [{ name: 'app', checksums: { './a.txt': sha('a') } }] }],
  customArtifacts: [{ name: 'shared', checksums: { './s': sha('s') } }],
  backupActivity: { startTime: new Date('2024-05-01T10:00:01Z') },
};

describe('verifyArtifactDirectory', () => {
  it('verifies instance and custom artifacts and reports counts', async () => {
    const dir = await backupDir(
      {
        'web-0-app.tar': await tarOf([{ name: './', type: 'directory' }, { name: './a.txt', content: 'a' }, { name: './inside', type: 'symlink', linkname: 'a.txt' }]),
        'shared.tar': await tarOf([{ name: 's', content: 's' }]),
      },
      META,
    );
    const verified = await verifyArtifactDirectory(dir);
    expect(verified.failures).toEqual([]);
    expect(verified.verdicts.map((v) => [v.file, v.label, v.fileCount, v.contentBytes])).toEqual([
      ['web-0-app.tar', 'web/0 app', 1, 1],
      ['shared.tar', 'custom artifact shared', 1, 1],
    ]);
  });

  it('reports each broken artifact: changed custom artifact, hard link out of the folder', async () => {
    const dir = await backupDir(
      {
        'web-0-app.tar': await tarOf([{ name: './a.txt', content: 'a' }, { name: './h', type: 'link', linkname: '../../etc/shadow' }]),
        'shared.tar': await tarOf([{ name: './s', content: 'changed' }]),
      },
      META,
    );
    const verified = await verifyArtifactDirectory(dir);
    expect(verified.failures).toHaveLength(2);
    expect(verified.failures[0]).toBeInstanceOf(ArtifactError);
    expect(verified.failures[0]!.message).toMatch(/web-0-app\.tar: tar entry '\.\/h' is unsafe \(hard link to '\.\.\/\.\.\/etc\/shadow' outside the artifact\)/);
    expect(verified.failures[1]).toBeInstanceOf(ChecksumMismatchError);
    expect(verified.failures[1]!.message).toMatch(/shared\.tar does not match its metadata: 1 file with different content \('\.\/s'\)$/);
  });

  it('accepts a custom artifact listed without files whose tar is absent (BBR does), and nothing else that is absent', async () => {
    const meta: BackupMetadata = { ...META, customArtifacts: [{ name: 'mysql-artifact', checksums: {} }, { name: 'shared', checksums: { './s': sha('s') } }] };
    const dir = await backupDir({ 'web-0-app.tar': await tarOf([{ name: './a.txt', content: 'a' }]) }, meta);
    const verified = await verifyArtifactDirectory(dir);
    expect(verified.verdicts.map((v) => [v.file, v.absent ?? false, v.problem?.message.replace(dir, 'DIR')])).toEqual([
      ['web-0-app.tar', false, undefined],
      ['mysql-artifact.tar', true, undefined],
      ['shared.tar', false, 'DIR/shared.tar is missing (metadata lists it for custom artifact shared)'],
    ]);
    const emptyInstanceArtifact: BackupMetadata = { ...META, instances: [{ name: 'web', index: '0', artifacts: [{ name: 'app', checksums: {} }] }], customArtifacts: [] };
    const noTar = await verifyArtifactDirectory(await backupDir({}, emptyInstanceArtifact));
    expect(noTar.failures.map((f) => f.message)).toEqual([expect.stringMatching(/web-0-app\.tar is missing/)]);
  });

  it('refuses partial directories and directories without metadata without reading anything', async () => {
    const partial = await verifyArtifactDirectory('/nowhere/d_20240501T100001Z.partial');
    expect(partial.failures[0]!.message).toMatch(/is still being written or was interrupted/);
    const empty = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-verify-'));
    const missing = await verifyArtifactDirectory(empty);
    expect(missing.failures[0]!.message).toMatch(/cannot read .*metadata/);
    expect(missing.verdicts).toEqual([]);
  });
});

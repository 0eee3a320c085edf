// Issue 11 (items 3 and 5) and issue 12 (item 6) at backup time, against the example deployment on
// 127.0.35.21-23: a hostile instance whose tar streams multi-megabyte names, a file name that is not UTF-8,
// an artifact of 60,000 files (checksum output far over the 4 MiB an exec captures), and hard links round trip.
import { execFileSync } from 'node:child_process';
import { link, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { parseBackupMetadata } from '../../src/artifact/metadata-file.js';
import { treeHashes } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';
import { tarHeader } from '../support/tar-craft.js';

let fleet: Fleet;
let flags: string[];
useExampleFleet('127.0.35', (started) => ({ fleet, flags } = started));

const storeOf = (instance: string) => path.join(fleet.instance(instance).dir, 'store', fleet.instance(instance).jobs[0]!);

async function backup(): Promise<{ result: Awaited<ReturnType<typeof runBbrTs>>; dir: string }> {
  const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-trust-backup-'));
  const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
  const [name] = await readdir(target);
  return { result, dir: path.join(target, name!) };
}

async function metadataOf(dir: string) {
  const file = path.join(dir, 'metadata');
  return parseBackupMetadata(await readFile(file, 'utf8'), file);
}

const checksumsOf = (metadata: Awaited<ReturnType<typeof metadataOf>>, group: string, index: string) =>
  metadata.instances.find((i) => i.name === group && i.index === index)?.artifacts[0]?.checksums;

/** Tar replaced inside one instance's mount namespace only (its sshd runs under `unshare -m`). */
const mountedOver: { pid: number; target: string }[] = [];
function replaceInInstance(instance: string, fake: string, target: string): void {
  const { pid } = fleet.instance(instance);
  execFileSync('nsenter', ['-t', String(pid), '-m', 'mount', '--bind', fake, target]);
  mountedOver.push({ pid, target });
}
afterEach(() => {
  for (const { pid, target } of mountedOver.splice(0)) execFileSync('nsenter', ['-t', String(pid), '-m', 'umount', target]);
});

describe('backup against hostile and unusual artifacts', () => {
  it('refuses a tar stream of multi-megabyte pax names at the first header, quoting none of it; other artifacts are whole', async () => {
    // 12 entries whose pax `path` is 3.9 MB long (under the 4 MiB tar-stream accepted); each name is generated
    // on the instance, so only headers are files here.
    const dir = await mkdtemp(path.join(fleet.instance('web/0').dir, 'hostile-'));
    const nameBytes = 3_900_000;
    const lines = ['#!/bin/sh', 'case " $* " in *" -c "*) ;; *) echo "hostile tar: only -c" >&2; exit 2;; esac'];
    for (let i = 0; i < 12; i++) {
      const prefix = ` path=./n${i}-`;
      const bodyLength = prefix.length + nameBytes + 1;
      let length = bodyLength + String(bodyLength).length;
      if (String(length).length !== String(bodyLength).length) length++;
      const padding = (512 - (length % 512)) % 512;
      await writeFile(path.join(dir, `pre-${i}`), Buffer.concat([tarHeader({ name: `PaxHeaders/${i}`, type: 'x', size: length }), Buffer.from(`${length}${prefix}`)]));
      await writeFile(path.join(dir, `post-${i}`), Buffer.concat([Buffer.from('\n'), Buffer.alloc(padding), tarHeader({ name: `x${i}` })]));
      lines.push(`cat ${dir}/pre-${i}; head -c ${nameBytes} /dev/zero | tr '\\000' a; cat ${dir}/post-${i}`);
    }
    lines.push('head -c 1024 /dev/zero');
    await writeFile(path.join(dir, 'tar'), lines.join('\n') + '\n');
    await chmod(path.join(dir, 'tar'), 0o755);
    replaceInInstance('web/0', path.join(dir, 'tar'), '/usr/bin/tar');

    const { result, dir: artifact } = await backup();
    expect(result.exitCode).toBe(1);
    expect(result.stderr.length).toBeLessThan(4000);
    expect(result.stderr).toMatch(
      /artifact of job 'web-server' on web\/0: not a tar bbr-ts can restore: a pax extended header of 3900\d{3} bytes at byte 0 \(at most 65536 accepted/,
    );
    expect(artifact).toMatch(/\.failed$/);
    // The honest instances' artifacts were drained whole and recorded.
    const metadata = await metadataOf(artifact);
    expect(checksumsOf(metadata, 'web', '1')).toEqual(await treeHashes(storeOf('web/1')));
    expect(checksumsOf(metadata, 'database', '0')).toEqual(await treeHashes(storeOf('database/0')));
    expect(checksumsOf(metadata, 'web', '0')).toBeUndefined();
  });

  it('refuses a file name that is not UTF-8, naming instance, job and the escaped name', async () => {
    await fleet.setFault('web/1', 'web-server', 'backup', `mkdir -p "$BBR_ARTIFACT_DIRECTORY"; echo x > "$BBR_ARTIFACT_DIRECTORY/$(printf 'bad\\377')"`);
    const { result, dir } = await backup();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/artifact of job 'web-server' on web\/1: not a tar bbr-ts can restore: tar entry name '\.\/bad\\+xff' is not valid UTF-8/);
    expect(dir).toMatch(/\.failed$/);
  });

  it('backs up an artifact of 60,000 files whole (the checksum output is streamed, not captured)', async () => {
    await fleet.setFault(
      'database/0',
      'database',
      'backup',
      'mkdir -p "$BBR_ARTIFACT_DIRECTORY/many" && (cd "$BBR_ARTIFACT_DIRECTORY/many" && seq -f "file-with-a-rather-long-name-%06g" 1 60000 | xargs touch)',
    );
    const { result, dir } = await backup();
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checksums = checksumsOf(await metadataOf(dir), 'database', '0')!;
    expect(Object.keys(checksums).filter((key) => key.startsWith('./many/'))).toHaveLength(60_000);
    expect(checksums['./many/file-with-a-rather-long-name-060000']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const verify = await runBbrTs(['artifact', 'verify', dir]);
    expect(verify.stdout).toMatch(/database-0-database\.tar \(database\/0 database\): OK, 6000\d file\(s\)/);
    expect(verify.exitCode).toBe(0);
  });

  it('backs up hard-linked files (cp -l) and restores them as links', async () => {
    const store = storeOf('web/1');
    await link(path.join(store, 'uploads', '1.txt'), path.join(store, 'uploads', '1-hard.txt'));
    await execa('cp', ['-rl', path.join(store, 'uploads'), path.join(store, 'uploads-linked')]);
    const before = await treeHashes(store);

    const { result, dir } = await backup();
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checksums = checksumsOf(await metadataOf(dir), 'web', '1')!;
    expect(checksums).toEqual(before);
    expect(checksums['./uploads/1-hard.txt']).toBe(checksums['./uploads/1.txt']);

    await rm(store, { recursive: true });
    await fleet.clearEvents();
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restore.stderr).toBe('');
    expect(restore.exitCode).toBe(0);
    expect(await treeHashes(store)).toEqual(before);
    const inode = async (file: string) => (await stat(path.join(store, file))).ino;
    const original = await inode('uploads/1.txt');
    expect(await inode('uploads/1-hard.txt')).toBe(original);
    expect(await inode('uploads-linked/1.txt')).toBe(original);
    expect(await inode('uploads-linked/2.txt')).toBe(await inode('uploads/2.txt'));
  });
});

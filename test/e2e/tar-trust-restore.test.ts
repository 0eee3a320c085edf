// Issue 11 (items 5 and 6): backups whose tars GNU tar would extract differently from what their checksums
// describe. Each crafted backup's metadata holds exactly the checksums the old parser computed, so it used to be
// "whole" and restore ran; now `artifact verify` and `restore` refuse it before contacting any instance.
// The example deployment runs on 127.0.34.21-23.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { parseBackupMetadata, serializeBackupMetadata } from '../../src/artifact/metadata-file.js';
import { buildBbrArtifact } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';
import { craftTar, paxRecord } from '../support/tar-craft.js';

let fleet: Fleet;
let flags: string[];
useExampleFleet('127.0.34', (started) => ({ fleet, flags } = started));

const sha = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const BBR_TXT = 'bbr wrote this upload\n';

/** Replaces web/0's tar in a Go-bbr-format backup and records `checksums` for it in the metadata. */
async function backupWith(tar: Buffer, checksums: Record<string, string>): Promise<string> {
  const dir = await buildBbrArtifact();
  await writeFile(path.join(dir, 'web-0-web-server.tar'), tar);
  const file = path.join(dir, 'metadata');
  const metadata = parseBackupMetadata(await readFile(file, 'utf8'), file);
  const web0 = metadata.instances.find((i) => i.name === 'web' && i.index === '0')!;
  web0.artifacts[0]!.checksums = checksums;
  await writeFile(file, serializeBackupMetadata(metadata));
  return dir;
}

/** A folder with uploads/bbr.txt, shaped by `extra`, archived by GNU tar with `options`. */
async function gnuTar(extra: (dir: string) => Promise<void>, options: string[] = []): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-trust-'));
  await mkdir(path.join(dir, 'uploads'));
  await writeFile(path.join(dir, 'uploads', 'bbr.txt'), BBR_TXT);
  await extra(dir);
  const { stdout } = await execa('tar', ['-C', dir, ...options, '-c', '.'], { encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(stdout);
}

interface Case {
  name: string;
  build: () => Promise<string>;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a PAX global header that turns a link into one to /etc/hostname',
    build: () =>
      backupWith(
        craftTar([
          { name: './', type: '5', mode: 0o755 },
          { name: './uploads/', type: '5', mode: 0o755 },
          { name: './uploads/bbr.txt', content: BBR_TXT },
          { name: 'pax_global_header', type: 'g', content: paxRecord('linkpath', '/etc/hostname') },
          { name: './link', type: '2', linkname: 'uploads/bbr.txt' },
        ]),
        { './uploads/bbr.txt': sha(BBR_TXT) },
      ),
    message: /web-0-web-server\.tar: not a tar bbr-ts can restore: tar entry 'pax_global_header' is a PAX global header/,
  },
  {
    name: "a link chain out of the folder (x -> ., then x/y -> ..)",
    build: () =>
      backupWith(
        craftTar([
          { name: './', type: '5', mode: 0o755 },
          { name: './uploads/bbr.txt', content: BBR_TXT },
          { name: './x', type: '2', linkname: '.' },
          { name: './x/y', type: '2', linkname: '..' },
        ]),
        { './uploads/bbr.txt': sha(BBR_TXT) },
      ),
    message: /web-0-web-server\.tar: tar entry '\.\/x\/y' is unsafe \(it lies below the symbolic link '\.\/x', which extraction would follow\)/,
  },
  {
    name: 'a GNU sparse file',
    build: async () =>
      backupWith(
        await gnuTar(async (dir) => {
          await writeFile(path.join(dir, 'holes.bin'), 'start');
          await execa('truncate', ['-s', '4M', path.join(dir, 'holes.bin')]);
        }, ['--sparse']),
        { './uploads/bbr.txt': sha(BBR_TXT) },
      ),
    message: /web-0-web-server\.tar: not a tar bbr-ts can restore: tar entry '\.\/holes\.bin' is a GNU sparse file/,
  },
  {
    name: 'a file name that is not UTF-8',
    build: async () =>
      backupWith(
        await gnuTar((dir) => writeFile(Buffer.from(`${dir}/bad\xff`, 'latin1'), 'bad name\n')),
        { './uploads/bbr.txt': sha(BBR_TXT), './bad\uFFFD': sha('bad name\n') },
      ),
    message: /web-0-web-server\.tar: not a tar bbr-ts can restore: tar entry name '\.\/bad\\xff' is not valid UTF-8/,
  },
  {
    name: 'a setuid program',
    build: async () =>
      backupWith(
        await gnuTar(async (dir) => {
          await writeFile(path.join(dir, 'uploads', 'su'), '#!/bin/sh\n');
          await chmod(path.join(dir, 'uploads', 'su'), 0o4755);
        }),
        { './uploads/bbr.txt': sha(BBR_TXT), './uploads/su': sha('#!/bin/sh\n') },
      ),
    message: /web-0-web-server\.tar: tar entry '\.\/uploads\/su' is unsafe \(setuid bit: restore as root would keep it\)/,
  },
];

describe('verify and restore refuse tars GNU tar would extract differently', () => {
  it.each(CASES)('$name', async ({ build, message }) => {
    const dir = await build();

    const verify = await runBbrTs(['artifact', 'verify', dir]);
    expect(verify.stderr).toMatch(message);
    expect(verify.stdout).toMatch(/NOT whole/);
    expect(verify.exitCode).toBe(1);

    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restore.stderr).toMatch(message);
    expect(restore.exitCode).toBe(1);
    for (const instance of fleet.instances) {
      expect(await fleet.events(instance.name)).toEqual([]);
      expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup'))).toBe(false);
    }
  });

  it('still passes the same folders without the hostile part', async () => {
    const dir = await backupWith(
      await gnuTar(async (dir) => {
        await symlink('uploads/bbr.txt', path.join(dir, 'link'));
        await mkdir(path.join(dir, 'shared'));
        await chmod(path.join(dir, 'shared'), 0o2775);
      }),
      { './uploads/bbr.txt': sha(BBR_TXT) },
    );
    const verify = await runBbrTs(['artifact', 'verify', dir]);
    expect(verify.stderr).toBe('');
    expect(verify.exitCode).toBe(0);
    expect(await readdir(dir)).toContain('web-0-web-server.tar');
  });
});

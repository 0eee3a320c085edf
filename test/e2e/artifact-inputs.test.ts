// Issue 11, items 7 and 8: a backup directory is input from anywhere. Its `metadata` may be a FIFO (which hung
// verify and restore forever), a link to /dev/zero (read until memory ran out) or huge; a tar may be a FIFO;
// an artifact name in the metadata may climb out of the directory (`j/../../other/secret` made verify read and
// print the entries of a tar outside the backup). Each is refused at once, naming the file, and restore
// contacts no instance (the example deployment runs on 127.0.44.21-23; not even `metadata` may run there).
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { buildBbrArtifact } from '../support/artifacts.js';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.44', (started) => ({ fleet, flags } = started));

// A run that hangs is the failure these tests catch: give up well before vitest's own timeout.
const BOUND = { timeoutMs: 30_000 };

interface BadInput {
  name: string;
  damage: (dir: string) => Promise<void>;
  message: RegExp;
}

const BAD_INPUTS: BadInput[] = [
  {
    name: 'a metadata that is a FIFO',
    damage: async (dir) => {
      await rm(path.join(dir, 'metadata'));
      await execa('mkfifo', [path.join(dir, 'metadata')]);
    },
    message: /metadata is not a regular file \(it is a FIFO\)/,
  },
  {
    name: 'a metadata that links to /dev/zero',
    damage: async (dir) => {
      await rm(path.join(dir, 'metadata'));
      await symlink('/dev/zero', path.join(dir, 'metadata'));
    },
    message: /metadata is not a regular file \(it is a character device\)/,
  },
  {
    name: 'a metadata larger than any backup needs',
    // Sparse: 1 GiB of size costs no disk.
    damage: (dir) => truncate(path.join(dir, 'metadata'), 1024 * 1024 * 1024),
    message: /metadata is larger than 67108864 bytes/,
  },
  {
    name: 'a tar that is a FIFO',
    damage: async (dir) => {
      await rm(path.join(dir, 'web-0-web-server.tar'));
      await execa('mkfifo', [path.join(dir, 'web-0-web-server.tar')]);
    },
    message: /web-0-web-server\.tar is not a regular file \(it is a FIFO\)/,
  },
];

describe('special files in a backup directory', () => {
  it.each(BAD_INPUTS)('refuse $name at once: verify, show and restore', async ({ damage, message }) => {
    const dir = await buildBbrArtifact();
    await damage(dir);

    const verify = await runBbrTs(['artifact', 'verify', dir], BOUND);
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toMatch(message);

    await fleet.clearEvents();
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir], BOUND);
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toMatch(message);
    // It connected nowhere: no unlock advice, no cleanup command.
    expect(restore.stderr).not.toMatch(/unlock|LOCKED|restore-cleanup/);
    for (const instance of fleet.instances) expect(await fleet.events(instance.name), instance.name).toEqual([]);
  });

  it('show refuses a FIFO metadata at once', async () => {
    const dir = await buildBbrArtifact();
    await rm(path.join(dir, 'metadata'));
    await execa('mkfifo', [path.join(dir, 'metadata')]);
    const show = await runBbrTs(['artifact', 'show', dir], BOUND);
    expect(show.exitCode).toBe(1);
    expect(show.stderr).toMatch(/metadata is not a regular file \(it is a FIFO\)/);
  });
});

describe('artifact names in the metadata that climb out of the backup directory', () => {
  it('are refused, and the tar outside is never read', async () => {
    const dir = await buildBbrArtifact();
    // A tar outside the backup, next to it, with a recognisable entry name.
    const secretDir = path.join(path.dirname(dir), 'other');
    await mkdir(path.join(secretDir, 'src'), { recursive: true });
    await writeFile(path.join(secretDir, 'src', 'private-entry-name.txt'), 'secret\n');
    await execa('tar', ['-C', path.join(secretDir, 'src'), '-cf', path.join(secretDir, 'secret-0-x.tar'), '.']);
    const metadata = path.join(dir, 'metadata');
    // web/0's artifact (the first web-server) becomes `web-0-` + `j/../../other/secret-0-x` + `.tar`.
    await writeFile(metadata, (await readFile(metadata, 'utf8')).replace('- name: web-server', '- name: j/../../other/secret-0-x'));

    const verify = await runBbrTs(['artifact', 'verify', dir], BOUND);
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toMatch(/artifacts\[0\] name "j\/\.\.\/\.\.\/other\/secret-0-x" cannot be used: it contains '\/'/);
    expect(verify.stdout + verify.stderr).not.toContain('private-entry-name');

    await fleet.clearEvents();
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir], BOUND);
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toMatch(/cannot be used: it contains '\/'/);
    for (const instance of fleet.instances) expect(await fleet.events(instance.name), instance.name).toEqual([]);
  });
});

describe('an interrupt before any instance is connected', () => {
  it('stops without advice to unlock or clean up (nothing can be locked)', async () => {
    // An "instance" that accepts TCP connections and never says a word: connecting to it waits until interrupted.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(2222, '127.0.44.30', resolve));
    const accepted = once(silent, 'connection');
    try {
      const work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-silent-'));
      const manifest = path.join(work, 'manifest.yml');
      await writeFile(manifest, 'name: example\ninstance_groups:\n- name: database\n  instances: 1\n  jobs: [{name: database, release: example-release}]\n  networks: [{name: default, static_ips: [127.0.44.30]}]\n');
      const args = flags.map((f, i) => (flags[i - 1] === '--manifest' ? manifest : f));
      const run = startBbrTs(['deployment', ...args, 'restore', '-a', await buildBbrArtifact()], BOUND);
      await accepted;
      run.kill('SIGINT');
      const result = await run;

      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/SIGINT received: stopping\.\n/);
      expect(result.stderr).not.toMatch(/unlock|LOCKED|restore-cleanup/);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });
});

// Issue 3: `bbr-ts artifact verify|show` offline, and proof that `restore` refuses each kind of damaged backup
// before contacting any instance: the example deployment runs on 127.0.13.21-23 and no script (not even
// `metadata`) may run there.
import { mkdtemp, readFile, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { buildBbrArtifact, BBR_ARTIFACT_FIXTURE } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { startExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  ({ fleet, flags } = await startExampleFleet('127.0.13'));
});
afterAll(async () => {
  await fleet?.stop();
});

const contents = (artifact: string) => path.join(BBR_ARTIFACT_FIXTURE, 'contents', artifact);

/** Rebuilds `<dir>/<file>` with GNU tar from the given working directory and members (-P keeps names as given). */
async function retar(dir: string, file: string, cwd: string, members: string[]): Promise<void> {
  await execa('tar', ['-C', cwd, '-cPf', path.join(dir, file), ...members]);
}

interface Corruption {
  name: string;
  damage: (dir: string) => Promise<string | void>;
  /** What `verify` and `restore` must say (and it names the file). */
  message: RegExp;
}

const CORRUPTIONS: Corruption[] = [
  {
    name: 'a missing tar',
    damage: (dir) => rm(path.join(dir, 'web-0-web-server.tar')),
    message: /web-0-web-server\.tar is missing \(metadata lists it for web\/0 web-server\)/,
  },
  {
    name: 'a changed byte',
    damage: async (dir) => {
      const file = path.join(dir, 'database-0-database.tar');
      const bytes = await readFile(file);
      bytes[bytes.indexOf('dave')] = 'D'.charCodeAt(0);
      await writeFile(file, bytes);
    },
    message: /database-0-database\.tar does not match its metadata: 1 file with different content \('\.\/data\/users\.csv'\)/,
  },
  {
    name: 'an extra tar in the directory',
    damage: (dir) => execa('cp', [path.join(dir, 'web-1-web-server.tar'), path.join(dir, 'web-2-web-server.tar')]).then(() => undefined),
    message: /web-2-web-server\.tar is not listed in the backup's metadata/,
  },
  {
    name: 'an extra file inside a tar',
    damage: async (dir) => {
      const work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-extra-'));
      await execa('cp', ['-a', `${contents('web-0-web-server')}/.`, work]);
      await writeFile(path.join(work, 'uploads', 'extra.txt'), 'not in metadata\n');
      await retar(dir, 'web-0-web-server.tar', work, ['.']);
    },
    message: /web-0-web-server\.tar does not match its metadata: 1 file only in the tar \('\.\/uploads\/extra\.txt'\)/,
  },
  {
    name: 'a file missing inside a tar',
    damage: (dir) => retar(dir, 'database-0-database.tar', contents('database-0-database'), ['./data/users.csv']),
    message: /database-0-database\.tar does not match its metadata: 1 file only in the metadata \('\.\/data\/nested\/schema\.sql'\)/,
  },
  {
    name: 'an entry with an absolute path',
    damage: async (dir) => {
      const work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-abs-'));
      await writeFile(path.join(work, 'evil'), 'x\n');
      await retar(dir, 'web-1-web-server.tar', work, ['.', path.join(work, 'evil')]);
    },
    message: /web-1-web-server\.tar: tar entry '\/[^']*\/bbr-ts-abs-\w+\/evil' is unsafe \(absolute path\)/,
  },
  {
    name: "an entry with '..'",
    damage: async (dir) => {
      const work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-dotdot-'));
      await writeFile(path.join(work, 'evil'), 'x\n');
      await execa('mkdir', [path.join(work, 'sub')]);
      await retar(dir, 'web-1-web-server.tar', path.join(work, 'sub'), ['.', '../evil']);
    },
    message: /web-1-web-server\.tar: tar entry '\.\.\/evil' is unsafe \(path contains '\.\.'\)/,
  },
  {
    name: 'a link pointing outside the artifact',
    damage: async (dir) => {
      const work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-link-'));
      await execa('cp', ['-a', `${contents('web-0-web-server')}/.`, work]);
      await symlink('../../../../etc/passwd', path.join(work, 'uploads', 'passwd'));
      await retar(dir, 'web-0-web-server.tar', work, ['.']);
    },
    message: /web-0-web-server\.tar: tar entry '\.\/uploads\/passwd' is unsafe \(symbolic link to '\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' outside the artifact\)/,
  },
  {
    name: 'a truncated tar',
    damage: (dir) => truncate(path.join(dir, 'database-0-database.tar'), 700),
    message: /database-0-database\.tar: not a tar bbr-ts can restore: unexpected end of data \(the tar is truncated\)/,
  },
  {
    name: 'metadata that does not parse',
    damage: (dir) => writeFile(path.join(dir, 'metadata'), 'instances: [\n'),
    message: /metadata: invalid YAML/,
  },
  {
    name: 'a directory left by a failed backup (*.failed)',
    damage: async (dir) => {
      await rename(dir, `${dir}.failed`);
      return `${dir}.failed`;
    },
    message: /example_20190227T101030Z\.failed is from a backup that failed/,
  },
];

describe('artifact verify', () => {
  it('passes a whole backup in Go bbr\'s format and prints one verdict per artifact', async () => {
    const dir = await buildBbrArtifact();
    const result = await runBbrTs(['artifact', 'verify', dir]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'web-0-web-server.tar (web/0 web-server): OK, 1 file(s), 25 B',
      'database-0-database.tar (database/0 database): OK, 2 file(s), 112 B',
      'web-1-web-server.tar (web/1 web-server): OK, 0 file(s), 0 B',
      `${dir}: whole, 3 artifact(s) verified`,
    ]);
  });

  it.each(CORRUPTIONS)('refuses $name, naming the file, and restore contacts no instance', async ({ damage, message }) => {
    const built = await buildBbrArtifact();
    const dir = (await damage(built)) ?? built;

    const verify = await runBbrTs(['artifact', 'verify', dir]);
    expect(verify.exitCode).toBe(1);
    expect(verify.stdout).toMatch(/NOT whole/);
    expect(verify.stderr).toMatch(message);

    await fleet.clearEvents();
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toMatch(message);
    expect(restore.stdout).not.toMatch(/connected to/);
    for (const instance of fleet.instances) expect(await fleet.events(instance.name)).toEqual([]);
  });
});

describe('artifact show', () => {
  it('prints deployment, times, instances, jobs, file counts and sizes', async () => {
    const dir = await buildBbrArtifact();
    const result = await runBbrTs(['artifact', 'show', dir]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('deployment:  example');
    expect(result.stdout).toContain('started:     2019/02/27 10:10:30 UTC');
    expect(result.stdout).toContain('finished:    2019/02/27 10:11:02 UTC');
    expect(result.stdout).toContain('instances:   3, artifacts: 3');
    expect(result.stdout).toContain('database/0 database: 2 file(s), 10.0 KiB (database-0-database.tar)');
    expect(result.stdout).toContain('web/1 web-server: 0 file(s), 10.0 KiB (web-1-web-server.tar)');
  });

  it('fails clearly on a directory without metadata', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-empty-'));
    const result = await runBbrTs(['artifact', 'show', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cannot read .*\/metadata/);
  });
});

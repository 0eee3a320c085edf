// Keeps the README honest: runs the shell blocks marked `<!-- readme-test: ... -->` against a fleet of its
// own (the example deployment moved to 127.0.17.31-33), verbatim except for two substitutions: the fleet's
// state folder (/tmp/bbr-ts-example → a temp folder) and the example manifest's addresses.
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopFleet } from '../../fixtures/fleet/fleet.mjs';
import { BIN, REPO_ROOT } from '../support/cli.js';
import { EXAMPLE_MANIFEST } from '../support/deployments.js';

interface Block {
  marker: string;
  code: string;
}

function markedBlocks(readme: string): Block[] {
  const blocks: Block[] = [];
  const pattern = /<!-- readme-test: ([^\n]*?) -->\n```sh\n([\s\S]*?)```/g;
  for (const match of readme.matchAll(pattern)) blocks.push({ marker: match[1]!, code: match[2]! });
  return blocks;
}

let work: string;
let fleetDir: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-readme-'));
  fleetDir = path.join(work, 'fleet-state');
  // The README's relative paths (fixtures/...) resolve inside the work folder: the example manifest on this
  // test's addresses, the fleet tool itself linked from the repository.
  await mkdir(path.join(work, 'fixtures', 'example'), { recursive: true });
  const manifest = (await readFile(EXAMPLE_MANIFEST, 'utf8')).replaceAll('127.0.0.2', '127.0.17.3');
  await writeFile(path.join(work, 'fixtures', 'example', 'manifest.yml'), manifest);
  await symlink(path.join(REPO_ROOT, 'fixtures', 'fleet'), path.join(work, 'fixtures', 'fleet'));
  // `bbr-ts` on PATH, as after `npm install -g .`
  await mkdir(path.join(work, 'bin'));
  await writeFile(path.join(work, 'bin', 'bbr-ts'), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`);
  await chmod(path.join(work, 'bin', 'bbr-ts'), 0o755);
});
afterAll(async () => {
  if (fleetDir) await stopFleet(fleetDir);
});

async function runBlock(code: string) {
  return execa('bash', ['-euo', 'pipefail', '-c', code.replaceAll('/tmp/bbr-ts-example', fleetDir)], {
    cwd: work,
    reject: false,
    stdin: 'ignore',
    env: { PATH: `${path.join(work, 'bin')}:${process.env.PATH}`, NO_COLOR: '1' },
    timeout: 90_000,
  });
}

it('finds the marked blocks', async () => {
  const blocks = markedBlocks(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  expect(blocks.map((b) => b.marker.split(' ')[0])).toEqual(['bbr-ts', 'walkthrough']);
});

it('runs the install block\'s bbr-ts commands', async () => {
  const [install] = markedBlocks(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  const lines = install!.code.split('\n').filter((l) => l.startsWith('bbr-ts '));
  expect(lines.length).toBeGreaterThanOrEqual(2);
  const home = path.join(work, 'home');
  await mkdir(home, { recursive: true });
  const result = await runBlock(`export HOME=${home}\n${lines.join('\n')}`);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^\d+\.\d+\.\d+$/m);
  expect(await readFile(path.join(home, '.bashrc'), 'utf8')).toMatch(/bbr-ts/);
});

it('runs the example walkthrough', async () => {
  const [, walkthrough] = markedBlocks(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  const result = await runBlock(walkthrough!.code);
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toMatch(/pre-backup-check succeeded/);
  expect(result.stdout).toMatch(/Plan: backup of deployment 'example'/);
  expect(result.stdout).toMatch(/<= longest lock/);
  const [dir, ...others] = (await readdir(path.join(work, 'backups'))).filter((name) => name.startsWith('example_'));
  expect(others).toEqual([]);
  expect((await readdir(path.join(work, 'backups', dir!))).sort()).toEqual([
    'database-0-database.tar',
    'manifest.yml',
    'metadata',
    'web-0-web-server.tar',
    'web-1-web-server.tar',
  ]);
  const summary = JSON.parse(await readFile(path.join(work, 'backups', 'last-run.json'), 'utf8'));
  expect(summary).toMatchObject({ status: 'succeeded', exitCode: 0 });
  expect(await readFile(path.join(work, 'backups', 'last-run.html'), 'utf8')).toMatch(/<h1>backup of &#39;example&#39; <span class="verdict ok">succeeded/);
  // The restore half of the walkthrough: verify, show, restore of lost data, a drill and a cleanup.
  expect(result.stdout).toMatch(/users\.csv is back/);
  expect(result.stdout).toMatch(/drill PASSED/);
  expect(result.stdout).toMatch(/restore-cleanup|backup-cleanup/);
});

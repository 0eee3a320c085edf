// Issue 3: `bbr-ts director --host HOST[:PORT] ...`, BBR's single-host mode, against one real sshd "director VM"
// (bosh/0 on 127.0.23.21) running the database and web-server jobs: backup and restore round trip, BBR's
// naming, lock order by job name only, and host keys checked (BBR ignores them).
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { treeHashes } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';

const HOST = '127.0.23.21';
let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-'));
  const manifest = path.join(dir, 'manifest.yml');
  await writeFile(
    manifest,
    [
      'name: director',
      'instance_groups:',
      '- name: bosh',
      '  instances: 1',
      '  jobs: [{name: database, release: bosh}, {name: web-server, release: bosh}]',
      `  networks: [{name: default, static_ips: [${HOST}]}]`,
      '',
    ].join('\n'),
  );
  fleet = await startFleet({ manifestPath: manifest });
  flags = ['--host', `${HOST}:${fleet.port}`, '--username', 'root', '--private-key-path', fleet.privateKeyPath, '--known-hosts', fleet.knownHostsPath];
});
afterAll(async () => {
  await fleet?.stop();
});
beforeEach(async () => {
  await fleet.clearEvents();
  await fleet.clearFaults();
});

const store = (job: string) => path.join(fleet.instance('bosh/0').dir, 'store', job);

async function timeline(): Promise<string[]> {
  return (await fleet.events('bosh/0')).filter((e) => e.script !== 'metadata').map((e) => `${e.job} ${e.script}`);
}

describe('director mode', () => {
  it('backs up into <host>_<timestamp>/ with bosh-0-<job>.tar and restores it', async () => {
    const before = { database: await treeHashes(store('database')), web: await treeHashes(store('web-server')) };
    const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-artifacts-'));

    const check = await runBbrTs(['director', ...flags, 'pre-backup-check']);
    expect(check.exitCode).toBe(0);

    const backup = await runBbrTs(['director', ...flags, 'backup', '-a', target]);
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    const [name] = await readdir(target);
    expect(name).toMatch(/^127\.0\.23\.21_\d{8}T\d{6}Z$/);
    const dir = path.join(target, name!);
    expect((await readdir(dir)).sort()).toEqual(['bosh-0-database.tar', 'bosh-0-web-server.tar', 'metadata']);
    const metadata = parse(await readFile(path.join(dir, 'metadata'), 'utf8')) as { instances: { name: string; index: string; artifacts: { name: string }[] }[] };
    expect(metadata.instances).toHaveLength(1);
    expect(metadata.instances[0]).toMatchObject({ name: 'bosh', index: '0' });
    expect(metadata.instances[0]!.artifacts.map((a) => a.name).sort()).toEqual(['database', 'web-server']);
    // web-server's metadata names database with release example-release; director mode matches by job name only.
    expect(await timeline()).toEqual([
      'web-server pre-backup-lock',
      'database pre-backup-lock',
      ...(await timeline()).filter((t) => t.endsWith(' backup')),
      'database post-backup-unlock',
      'web-server post-backup-unlock',
    ]);

    // Damage the data, then put it back.
    await writeFile(path.join(store('database'), 'data', 'users.csv'), 'gone\n');
    await rm(path.join(store('web-server'), 'uploads', '1.txt'));
    await fleet.clearEvents();
    const restore = await runBbrTs(['director', ...flags, 'restore', '-a', dir]);
    expect(restore.stderr).toBe('');
    expect(restore.exitCode).toBe(0);
    expect(await treeHashes(store('database'))).toEqual(before.database);
    expect(await treeHashes(store('web-server'))).toEqual(before.web);
    expect(await timeline()).toEqual([
      'web-server pre-restore-lock',
      'database pre-restore-lock',
      'database restore',
      'web-server restore',
      'database post-restore-unlock',
      'web-server post-restore-unlock',
    ]);
    expect(existsSync(path.join(fleet.instance('bosh/0').dir, 'store', 'bbr-backup'))).toBe(false);
  });

  it('names bosh/0 in failures and suggests the director cleanup command', async () => {
    await fleet.setFault('bosh/0', 'database', 'post-backup-unlock', 'exit 1');
    const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-artifacts-'));
    const result = await runBbrTs(['director', ...flags, 'backup', '-a', target]);
    expect(result.exitCode).toBe(8);
    expect(result.stderr).toMatch(/post-backup-unlock script of job 'database' on bosh\/0 exited with status 1/);
    expect(result.stderr).toMatch(/bbr-ts director --host 127\.0\.23\.21:\d+ --username root --private-key-path \S+ backup-cleanup/);
  });

  it('checks the host key (BBR does not): an unknown key stops the run before any script', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-kh-'));
    const empty = path.join(dir, 'known_hosts');
    await writeFile(empty, '');
    const withEmpty = flags.map((f) => (f === fleet.knownHostsPath ? empty : f));
    const result = await runBbrTs(['director', ...withEmpty, 'pre-backup-check']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/host key of bosh\/0 at 127\.0\.23\.21:\d+ is unknown/);
    expect(await fleet.events('bosh/0')).toEqual([]);
  });

  it('requires --host and refuses a malformed one', async () => {
    const missing = await runBbrTs(['director', '--username', 'root', '--private-key-path', fleet.privateKeyPath, 'backup']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/host/);
    const bad = await runBbrTs(['director', ...flags.map((f) => (f.startsWith(HOST) ? `${HOST}:notaport` : f)), 'pre-backup-check']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/--host "127\.0\.23\.21:notaport" is not HOST or HOST:PORT/);
  });
});

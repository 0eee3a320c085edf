// Issue 12, backup_one_restore_all against two real sshd instances of one group (127.0.47.21-22): the bootstrap
// instance (index 0) backs up into BBR's custom artifact, the other keeps its own, and restore puts the one
// custom artifact on every instance of the job.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { treeHashes } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { fleetFlags, tempArtifactsDir } from '../support/deployments.js';

const CUSTOM = 'database-example-release-backup-one-restore-all';
const MANIFEST = `name: shared
instance_groups:
- name: redis
  instances: 2
  jobs:
  - name: database
    release: example-release
    properties:
      bbr:
        backup_one_restore_all: true
  networks: [{name: default, static_ips: [127.0.47.21, 127.0.47.22]}]
`;

let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-bora-'));
  const manifest = path.join(dir, 'manifest.yml');
  await writeFile(manifest, MANIFEST);
  fleet = await startFleet({ manifestPath: manifest });
  flags = fleetFlags(fleet, manifest);
});
afterAll(async () => {
  await fleet?.stop();
});
beforeEach(async () => {
  await fleet.clearEvents();
  await fleet.clearFaults();
});

const storeOf = (instance: string) => path.join(fleet.instance(instance).dir, 'store', 'database');
const eventsOf = async (instance: string, script: string) => (await fleet.events(instance)).filter((e) => e.script === script);

describe('backup_one_restore_all (manifest property properties.bbr.backup_one_restore_all)', () => {
  it('plans the custom artifact for the bootstrap instance only', async () => {
    const result = await runBbrTs(['deployment', ...flags, 'backup', '--dry-run', '-a', await tempArtifactsDir()]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`${CUSTOM}.tar`);
    expect(result.stdout).toContain('redis-1-database.tar');
    expect(result.stdout).not.toContain('redis-0-database.tar');
  });

  it('round trip: one custom artifact from redis/0 (plus redis/1\'s own), restored onto both instances', async () => {
    // The seed data names its instance, so the two instances start with different data.
    const bootstrapData = await treeHashes(storeOf('redis/0'));
    expect(await treeHashes(storeOf('redis/1'))).not.toEqual(bootstrapData);

    const target = await tempArtifactsDir('bbr-ts-bora-');
    const backup = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    const [name] = await readdir(target);
    const dir = path.join(target, name!);
    expect((await readdir(dir)).sort()).toEqual([`${CUSTOM}.tar`, 'metadata', 'redis-1-database.tar']);

    // BBR's layout: the custom artifact listed on its own (custom_artifacts), the other instance's under instances.
    const metadata = await readFile(path.join(dir, 'metadata'), 'utf8');
    expect(metadata).toMatch(/^instances:\n- name: redis\n  index: "1"\n  artifacts:\n  - name: database\n/);
    expect(metadata).toMatch(new RegExp(`\ncustom_artifacts:\n- name: ${CUSTOM}\n  checksums:\n    \\./data/nested/schema\\.sql: [0-9a-f]{64}\n`));
    expect((await eventsOf('redis/0', 'backup'))[0]?.fields.artifact_dir).toBe(`/var/vcap/store/bbr-backup/${CUSTOM}/`);
    expect((await eventsOf('redis/1', 'backup'))[0]?.fields.artifact_dir).toBe('/var/vcap/store/bbr-backup/database/');
    expect((await runBbrTs(['artifact', 'verify', dir])).exitCode).toBe(0);

    // Lose data on both instances, then restore.
    for (const instance of ['redis/0', 'redis/1']) {
      await rm(path.join(storeOf(instance), 'data', 'users.csv'));
      await writeFile(path.join(storeOf(instance), 'added-after-backup.txt'), 'should disappear\n');
    }
    await fleet.clearEvents();
    const summaryFile = path.join(target, 'restore-summary.json');
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir, '--summary-json', summaryFile]);
    expect(restore.stderr).toBe('');
    expect(restore.exitCode).toBe(0);

    for (const instance of ['redis/0', 'redis/1']) {
      expect(await treeHashes(storeOf(instance)), instance).toEqual(bootstrapData);
      const [restored] = await eventsOf(instance, 'restore');
      expect(restored?.fields.artifact_dir, instance).toBe(`/var/vcap/store/bbr-backup/${CUSTOM}/`);
      expect(existsSync(path.join(fleet.instance(instance).dir, 'store', 'bbr-backup')), instance).toBe(false);
    }
    // redis/1's own artifact is not what its restore reads: left out, and said so.
    expect(restore.stdout).toMatch(new RegExp(`SKIPPED redis-1-database\\.tar: job database on redis/1 restores from custom artifact ${CUSTOM}`));
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as { jobs: { instance: string; artifactFile?: string }[] };
    expect(summary.jobs.map((j) => [j.instance, j.artifactFile])).toEqual([
      ['redis/0', `${CUSTOM}.tar`],
      ['redis/1', `${CUSTOM}.tar`],
    ]);
  });
});

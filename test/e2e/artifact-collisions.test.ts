// Issue 11, item 5: artifact file names that collide. BBR names artifacts `<group>-<index>-<job>.tar`, so group
// `db` with job `0-j` and group `db-0` with job `j` both make `db-0-0-j.tar`. Against real sshd instances
// (127.0.43.21-23): backup refuses before locking anything; verify and restore refuse a backup directory whose
// metadata maps two artifacts to one file, before contacting any instance.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { craftedJobsDir } from '../support/crafted-jobs.js';
import { fleetFlags } from '../support/deployments.js';

const MANIFEST = `name: collide
instance_groups:
- name: database
  instances: 1
  jobs: [{name: database, release: example-release}]
  networks: [{name: default, static_ips: [127.0.43.21]}]
- name: db
  instances: 1
  jobs: [{name: 0-j, release: r}]
  networks: [{name: default, static_ips: [127.0.43.22]}]
- name: db-0
  instances: 1
  jobs: [{name: j, release: r}]
  networks: [{name: default, static_ips: [127.0.43.23]}]
`;

let fleet: Fleet;
let flags: string[];
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-collide-'));
  const manifest = path.join(work, 'manifest.yml');
  await writeFile(manifest, MANIFEST);
  fleet = await startFleet({ manifestPath: manifest, jobsDir: await craftedJobsDir({ '0-j': 'zeroj', j: 'j' }) });
  flags = fleetFlags(fleet, manifest);
  // Different data on each side, so that two drains into one file could only produce a broken artifact.
  for (const [instance, tag] of [['db/0', 'zeroj'], ['db-0/0', 'j']] as const) {
    const store = path.join(fleet.instance(instance).dir, 'store', tag);
    await mkdir(store, { recursive: true });
    await writeFile(path.join(store, 'data.bin'), Buffer.alloc(4 * 1024 * 1024, tag));
  }
});
afterAll(async () => {
  await fleet?.stop();
});
beforeEach(async () => {
  await fleet.clearEvents();
});

/** No script but `metadata` ran anywhere, and no instance holds a remote artifact directory. */
async function expectNothingTouched(): Promise<void> {
  for (const instance of fleet.instances) {
    const scripts = (await fleet.events(instance.name)).map((e) => e.script).filter((s) => s !== 'metadata');
    expect(scripts, instance.name).toEqual([]);
    expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup')), instance.name).toBe(false);
  }
}

describe('two jobs whose artifacts would share one file', () => {
  it('are refused by backup before anything is locked, naming both', async () => {
    const artifacts = await mkdtemp(path.join(work, 'artifacts-'));
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("job '0-j' on db/0 and job 'j' on db-0/0 would both be saved as db-0-0-j.tar");
    expect(result.stderr).toMatch(/next step: .*rename an instance group or job/);
    await expectNothingTouched();
    expect(await readdir(artifacts)).toEqual([]);
  });

  it('are refused by pre-backup-check too', async () => {
    const result = await runBbrTs(['deployment', ...flags, 'pre-backup-check']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('would both be saved as db-0-0-j.tar');
  });
});

describe('a backup directory whose metadata maps two artifacts to one file', () => {
  it('is refused by verify and by restore, before any instance is contacted', async () => {
    // As another tool (or a tampered copy) could have written it: both entries list the same checksums, so
    // reading the one file twice would "verify" both, and restore would give both jobs the same bytes.
    const dir = path.join(await mkdtemp(path.join(work, 'crafted-')), 'collide_20260101T000000Z');
    const contents = path.join(work, 'contents');
    await mkdir(contents, { recursive: true });
    await writeFile(path.join(contents, 'data.txt'), 'shared\n');
    await mkdir(dir);
    await execa('tar', ['-C', contents, '-cf', path.join(dir, 'db-0-0-j.tar'), '.']);
    const sum = (await execa('sha256sum', [path.join(contents, 'data.txt')])).stdout.split(' ')[0];
    const artifact = (name: string) => `  - name: ${name}\n    checksums:\n      ./data.txt: ${sum}\n`;
    await writeFile(
      path.join(dir, 'metadata'),
      `instances:\n- name: db\n  index: "0"\n  artifacts:\n${artifact('0-j')}- name: db-0\n  index: "0"\n  artifacts:\n${artifact('j')}` +
        'backup_activity:\n  start_time: 2026/01/01 00:00:00 UTC\n  finish_time: 2026/01/01 00:00:01 UTC\n',
    );

    const verify = await runBbrTs(['artifact', 'verify', dir]);
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toContain('metadata lists db/0 0-j and db-0/0 j, which would both be read from db-0-0-j.tar');
    expect(verify.stdout).toMatch(/NOT whole/);

    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toContain('which would both be read from db-0-0-j.tar');
    for (const instance of fleet.instances) expect(await fleet.events(instance.name), instance.name).toEqual([]);
  });
});

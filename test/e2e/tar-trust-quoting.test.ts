// Issue 11 item 9: a backslash in a job name. GNU tar unquotes the argument of `-C` when extracting, so
// `tar -C /var/vcap/store/bbr-backup/back\tslash/ -x` looked for a folder named with a TAB and restore failed.
// One instance on 127.0.36.22 runs the example web-server scripts under the job name `back\tslash`.
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { treeHashes } from '../support/artifacts.js';
import { REPO_ROOT, runBbrTs } from '../support/cli.js';
import { fleetFlags } from '../support/deployments.js';

const JOB = 'back\\tslash';
let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-quoting-'));
  const jobs = path.join(dir, 'jobs');
  await mkdir(jobs);
  await cp(path.join(REPO_ROOT, 'fixtures', 'jobs', 'web-server'), path.join(jobs, JOB), { recursive: true });
  const manifest = path.join(dir, 'manifest.yml');
  await writeFile(
    manifest,
    [
      'name: quoting',
      'instance_groups:',
      '- name: web',
      '  instances: 1',
      `  jobs: [{name: '${JOB}', release: example-release}]`,
      '  networks: [{name: default, static_ips: [127.0.36.22]}]',
      '',
    ].join('\n'),
  );
  fleet = await startFleet({ manifestPath: manifest, jobsDir: jobs });
  flags = fleetFlags(fleet, manifest);
});
afterAll(async () => {
  await fleet?.stop();
});

describe('a job name with a backslash', () => {
  it('backs up and restores into the right folder', async () => {
    // The example scripts keep their data under store/web-server whatever the job is called.
    const store = path.join(fleet.instance('web/0').dir, 'store', 'web-server');
    const before = await treeHashes(store);
    expect(Object.keys(before).length).toBeGreaterThan(0);

    const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-quoting-backup-'));
    const backup = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    const [name] = await readdir(target);
    const artifact = path.join(target, name!);
    expect(await readdir(artifact)).toContain(`web-0-${JOB}.tar`);

    await rm(store, { recursive: true });
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(restore.stderr).toBe('');
    expect(restore.exitCode).toBe(0);
    expect(await treeHashes(store)).toEqual(before);
  });
});

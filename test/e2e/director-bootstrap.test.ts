// Issue 15: with a director, the bootstrap instance is the one the director's VM listing flags (not index 0), and
// releases and backup_one_restore_all come from the director's manifest. Two real sshd instances (127.0.69.21-22)
// of one group whose bootstrap instance is redis/1; the stand-in director listens on 127.0.69.10.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { startStandInDirector, type StandInDirector } from '../support/director.js';
import { tempArtifactsDir } from '../support/deployments.js';

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
  networks: [{name: default, static_ips: [127.0.69.21, 127.0.69.22]}]
`;

let fleet: Fleet;
let director: StandInDirector;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-bora-'));
  await writeFile(path.join(dir, 'manifest.yml'), MANIFEST);
  fleet = await startFleet({ manifestPath: path.join(dir, 'manifest.yml') });
  director = await startStandInDirector({
    address: '127.0.69.10',
    auth: { type: 'basic', user: 'admin', password: 'director-secret' },
    deployments: { shared: { fleet, manifestText: MANIFEST } },
  });
  director.faults.bootstrapIndex = { redis: 1 };
});

afterAll(async () => {
  await director?.stop();
  await fleet?.stop();
});

describe('the director\'s bootstrap flag and manifest', () => {
  it('the custom artifact comes from the instance the director calls bootstrap', async () => {
    const target = await tempArtifactsDir();
    const result = await runBbrTs(['deployment', '--target', director.url, '-u', 'admin', '-d', 'shared', '--ca-cert', director.caPath, 'backup', '-a', target], {
      env: { BOSH_CLIENT_SECRET: 'director-secret' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const [dir] = await readdir(target);
    expect((await readdir(path.join(target, dir!))).sort()).toEqual([`${CUSTOM}.tar`, 'metadata', 'redis-0-database.tar']);
    expect(await director.usersLeft()).toEqual([]);
  });
});

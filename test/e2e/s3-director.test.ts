// Issue 14 in director mode: `bbr-ts director ... backup/restore` with --artifact-path s3://..., against one
// real sshd "director VM" (bosh/0 on 127.0.63.21) and a real S3 server (Swift + s3api on 127.0.64.1).
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { treeHashes } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { startS3Server, swiftInstalled, type S3Server } from '../support/s3-server.js';

const HOST = '127.0.63.21';
let fleet: Fleet;
let flags: string[];
let s3: S3Server;

beforeAll(async () => {
  if (!swiftInstalled()) throw new Error('swift-proxy-server is missing: scripts/test.sh installs the swift packages');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-s3-director-'));
  const manifest = path.join(dir, 'manifest.yml');
  await writeFile(
    manifest,
    ['name: director', 'instance_groups:', '- name: bosh', '  instances: 1', '  jobs: [{name: database, release: bosh}, {name: web-server, release: bosh}]', `  networks: [{name: default, static_ips: [${HOST}]}]`, ''].join('\n'),
  );
  fleet = await startFleet({ manifestPath: manifest });
  flags = ['--host', `${HOST}:${fleet.port}`, '--username', 'root', '--private-key-path', fleet.privateKeyPath, '--known-hosts', fleet.knownHostsPath];
  s3 = await startS3Server({ ip: '127.0.64.1' });
  await s3.createBucket('director-backups');
});
afterAll(async () => {
  await fleet?.stop();
  await s3?.stop();
});

describe('director mode with object storage', () => {
  it('backs up the director into S3 as <host>_<timestamp>/ and restores it from there', async () => {
    const store = (job: string) => path.join(fleet.instance('bosh/0').dir, 'store', job);
    const before = { database: await treeHashes(store('database')), web: await treeHashes(store('web-server')) };
    const backedUp = await runBbrTs(['director', ...flags, 'backup', '-a', 's3://director-backups/bosh', '--s3-path-style'], { env: s3.env() });
    expect(backedUp.stderr).toBe('');
    expect(backedUp.exitCode).toBe(0);
    const keys = (await s3.list('director-backups', 'bosh/')).map((o) => o.key);
    const metadataKey = keys.find((k) => k.endsWith('/metadata'))!;
    expect(metadataKey).toMatch(/^bosh\/127\.0\.63\.21_\d{8}T\d{6}Z\/metadata$/);
    const dir = metadataKey.replace(/\/metadata$/, '');
    expect(keys.sort()).toEqual([`${dir}/bosh-0-database.tar`, `${dir}/bosh-0-web-server.tar`, metadataKey].sort());

    await writeFile(path.join(store('database'), 'added-after-backup.txt'), 'should disappear\n');
    const restored = await runBbrTs(['director', ...flags, 'restore', '-a', `s3://director-backups/${dir}`, '--s3-path-style'], { env: s3.env() });
    expect(restored.stderr).toBe('');
    expect(restored.exitCode).toBe(0);
    expect(await treeHashes(store('database'))).toEqual(before.database);
    expect(await treeHashes(store('web-server'))).toEqual(before.web);
  });
});

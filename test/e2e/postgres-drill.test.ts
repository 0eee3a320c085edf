// Issue 5: the restore drill operators run when they doubt their backups, against a real PostgreSQL server and
// a real sshd instance (127.0.5.21): create a `films` table with a row, back up, drop the database, restore,
// and query the row back; then the same through `deployment ... drill --verify`.
import { mkdir, mkdtemp, readdir, rename, readFile, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { fleetFlags } from '../support/deployments.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

const DATABASE = 'films_db';
const MANIFEST = `name: films
instance_groups:
- name: db
  instances: 1
  jobs: [{name: postgres, release: postgres-release}]
  networks: [{name: default, static_ips: [127.0.5.21]}]
`;

let pg: PostgresServer;
let fleet: Fleet;
let flags: string[];
let artifact: string;

beforeAll(async () => {
  pg = await startPostgres();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-drill-'));
  const manifest = path.join(dir, 'manifest.yml');
  await writeFile(manifest, MANIFEST);
  fleet = await startFleet({ manifestPath: manifest, seed: false });
  flags = fleetFlags(fleet, manifest);
  // What a BOSH job would render from its properties: where the server is (the socket folder under the shared /tmp).
  const config = path.join(fleet.instance('db/0').dir, 'jobs', 'postgres', 'config');
  await mkdir(config, { recursive: true });
  await writeFile(
    path.join(config, 'pg.env'),
    `export PGHOST=${pg.socketDir} PGPORT=${pg.port} PGUSER=${pg.user} PGDATABASE=${DATABASE} PG_BIN=${pg.bin}\n`,
  );
  await pg.psql(`CREATE DATABASE ${DATABASE}`);
  await pg.psql("CREATE TABLE films (title text PRIMARY KEY, year integer); INSERT INTO films VALUES ('Metropolis', 1927)", DATABASE);
});
afterAll(async () => {
  await fleet?.stop();
  await pg?.stop();
});

async function databaseExists(): Promise<boolean> {
  return (await pg.psql(`SELECT count(*) FROM pg_database WHERE datname = '${DATABASE}'`)) === '1';
}

describe('PostgreSQL restore drill', () => {
  it('backs up the deployment, and after the database is dropped, restore brings the row back', async () => {
    const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-drill-artifacts-'));
    const backup = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    const [name] = await readdir(target);
    artifact = path.join(target, name!);
    expect(await readdir(artifact)).toContain('db-0-postgres.tar');
    const { stdout: listing } = await execa('tar', ['-tf', path.join(artifact, 'db-0-postgres.tar')]);
    expect(listing).toMatch(/postgres\.dump/);

    await pg.psql(`DROP DATABASE ${DATABASE}`);
    expect(await databaseExists()).toBe(false);

    await fleet.clearEvents();
    const restore = await runBbrTs(['deployment', ...flags, 'restore', '-a', artifact]);
    expect(restore.stderr).toBe('');
    expect(restore.exitCode).toBe(0);
    expect(await pg.psql('SELECT title, year FROM films', DATABASE)).toBe('Metropolis|1927');
    expect((await fleet.events('db/0')).map((e) => e.script)).toEqual(['metadata', 'pre-restore-lock', 'restore', 'post-restore-unlock']);
  });

  it('drill restores and verifies on this machine, reporting both timings', async () => {
    await pg.psql(`DROP DATABASE ${DATABASE}`);
    const query = `${pg.bin}/psql -h ${pg.socketDir} -p ${pg.port} -U postgres -d ${DATABASE} -Atc 'SELECT title FROM films' | grep -qx Metropolis`;
    const result = await runBbrTs(['deployment', ...flags, 'drill', '-a', artifact, '--verify', query]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/drill PASSED: restore took \d+\.\d+s, verification on this machine took \d+\.\d+s \(exit status 0\)/);
    expect(result.stdout).toMatch(/Drill: PASSED; time to restore \d+\.\d+s/);
    expect(await pg.psql('SELECT year FROM films', DATABASE)).toBe('1927');
  });

  it('drill verifies on an instance with --verify-on, and fails when the check does not hold', async () => {
    const onInstance = ". /var/vcap/jobs/postgres/config/pg.env && $PG_BIN/psql -Atc 'SELECT title FROM films' | grep -qx Metropolis";
    const pass = await runBbrTs(['deployment', ...flags, 'drill', '-a', artifact, '--verify', onInstance, '--verify-on', 'db/0']);
    expect(pass.stderr).toBe('');
    expect(pass.exitCode).toBe(0);
    expect(pass.stdout).toMatch(/drill PASSED: .*verification on db\/0/);

    const missing = ". /var/vcap/jobs/postgres/config/pg.env && $PG_BIN/psql -Atc \"SELECT title FROM films WHERE title = 'Nosferatu'\" | grep -q .";
    const fail = await runBbrTs(['deployment', ...flags, 'drill', '-a', artifact, '--verify', missing, '--verify-on', 'db/0']);
    expect(fail.exitCode).toBe(1);
    expect(fail.stdout).toMatch(/drill FAILED/);
    expect(fail.stderr).toMatch(/verification command exited with status 1 on db\/0 after a successful restore/);

    const unknown = await runBbrTs(['deployment', ...flags, 'drill', '-a', artifact, '--verify', 'true', '--verify-on', 'db/7']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/the deployment has no instance db\/7/);
    expect(unknown.stderr).toMatch(/db\/0/);
  });

  it('drill refuses an artifact that came from another deployment, before restoring anything', async () => {
    // The same backup, as if taken from a deployment `shop` whose instance group is `orders`.
    const other = path.join(await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-drill-other-')), 'shop_20260101T000000Z');
    await cp(artifact, other, { recursive: true });
    await rename(path.join(other, 'db-0-postgres.tar'), path.join(other, 'orders-0-postgres.tar'));
    const metadata = await readFile(path.join(other, 'metadata'), 'utf8');
    await writeFile(path.join(other, 'metadata'), metadata.replace(/name: db\b/, 'name: orders'));
    await fleet.clearEvents();
    const result = await runBbrTs(['deployment', ...flags, 'drill', '-a', other, '--verify', 'true']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the artifact shop_20260101T000000Z came from deployment 'shop'/);
    expect(result.stderr).toMatch(/orders\/0/);
    expect((await fleet.events('db/0')).map((e) => e.script)).not.toContain('restore');
    expect(await databaseExists()).toBe(true);
  });
});

// Starts a real PostgreSQL server for e2e tests: initdb into a temp folder, listening only on a unix socket
// under /tmp (which the fleet's instances share with the host). PostgreSQL refuses to run as root, so the
// server runs as the `postgres` user of the Debian package.
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface PostgresServer {
  /** Folder of the PG binaries (initdb, pg_dump, psql, ...). */
  bin: string;
  /** Socket folder: PGHOST. */
  socketDir: string;
  port: number;
  user: string;
  /** Runs SQL through psql as the superuser; resolves with psql's unaligned, tuples-only output. */
  psql(sql: string, database?: string): Promise<string>;
  stop(): Promise<void>;
}

export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const version = versions.find((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')));
  if (!version) throw new Error('PostgreSQL is not installed (scripts/test.sh installs the postgresql package)');
  return path.join(root, version, 'bin');
}

export async function startPostgres(options: { port?: number } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const port = options.port ?? 5432;
  const root = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-pg-'));
  const { stdout: ids } = await execa('id', ['-u', 'postgres']);
  const uid = Number(ids.trim());
  const gid = Number((await execa('id', ['-g', 'postgres'])).stdout.trim());
  await chown(root, uid, gid);
  const data = path.join(root, 'data');
  const asPostgres = (file: string, args: string[]) =>
    execa('runuser', ['-u', 'postgres', '--', path.join(bin, file), ...args], { cwd: root });
  // trust over the socket: the instance's scripts connect as root-run processes; the socket folder is private.
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  await asPostgres('pg_ctl', [
    '-D', data, '-w', '-l', path.join(root, 'server.log'),
    '-o', `-k ${root} -c listen_addresses='' -p ${port} -c fsync=off`,
    'start',
  ]);
  let stopped = false;
  return {
    bin,
    socketDir: root,
    port,
    user: 'postgres',
    async psql(sql, database = 'postgres') {
      const { stdout } = await execa(path.join(bin, 'psql'), ['--no-psqlrc', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', root, '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql]);
      return stdout;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

// Issue 2 end to end: `bbr-ts deployment ... backup` and `pre-backup-check` against the example deployment
// running as real sshd instances (127.0.2.21-23), checked file by file and script by script.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let manifest: string;
let flags: string[];

useExampleFleet('127.0.2', (started) => ({ fleet, manifest, flags } = started));

async function artifactsDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'bbr-ts-artifacts-'));
}

/** sha256 of every regular file in a tar, computed with GNU tar (independently of bbr-ts's parser). */
async function sha256OfTarEntries(tarFile: string): Promise<Record<string, string>> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-untar-'));
  await execa('tar', ['-C', out, '-xf', tarFile]);
  const result: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) result[`./${path.relative(out, full)}`] = createHash('sha256').update(await readFile(full)).digest('hex');
    }
  }
  await walk(out);
  await rm(out, { recursive: true });
  return result;
}

describe('deployment backup', () => {
  it('backs up every job in lock order and writes a BBR-compatible artifact', async () => {
    const target = await artifactsDir();
    const result = await runBbrTs(['deployment', ...flags, 'backup', '--artifact-path', target, '--with-manifest']);
    expect(result.stderr).toBe('');
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);

    const [dirName, ...others] = await readdir(target);
    expect(others).toEqual([]);
    expect(dirName).toMatch(/^example_\d{8}T\d{6}Z$/);
    const dir = path.join(target, dirName!);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await readdir(dir)).sort()).toEqual([
      'database-0-database.tar',
      'manifest.yml',
      'metadata',
      'web-0-web-server.tar',
      'web-1-web-server.tar',
    ]);
    expect(await readFile(path.join(dir, 'manifest.yml'), 'utf8')).toBe(await readFile(manifest, 'utf8'));

    // metadata: BBR's schema, indexes as strings, checksums equal to sha256 of the tar entries.
    const metadataText = await readFile(path.join(dir, 'metadata'), 'utf8');
    expect(metadataText).toMatch(/index: "0"/);
    const metadata = parse(metadataText) as {
      instances: { name: string; index: string; artifacts: { name: string; checksums: Record<string, string> }[] }[];
      backup_activity: { start_time: string; finish_time: string };
    };
    expect(metadata.backup_activity.start_time).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(metadata.backup_activity.finish_time).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(metadata.instances.map((i) => `${i.name}/${i.index}:${i.artifacts.map((a) => a.name).join(',')}`)).toEqual([
      'database/0:database',
      'web/0:web-server',
      'web/1:web-server',
    ]);
    for (const instance of metadata.instances) {
      for (const artifact of instance.artifacts) {
        const tar = path.join(dir, `${instance.name}-${instance.index}-${artifact.name}.tar`);
        expect((await stat(tar)).mode & 0o777).toBe(0o600);
        expect(artifact.checksums).toEqual(await sha256OfTarEntries(tar));
      }
    }
    const database = metadata.instances[0]!.artifacts[0]!.checksums;
    expect(Object.keys(database).sort()).toEqual([
      './data/nested/schema.sql',
      './data/random.bin',
      './data/users.csv',
      './data/with space.txt',
    ]);

    // Script order: web-server locks before database (its metadata says so); unlock in reverse.
    const timeline: { at: bigint; what: string }[] = [];
    for (const instance of fleet.instances) {
      for (const event of await fleet.events(instance.name)) {
        if (event.script !== 'metadata') timeline.push({ at: event.timeNs, what: `${instance.name} ${event.script}` });
      }
    }
    timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const order = timeline.map((t) => t.what);
    const first = (what: string) => order.indexOf(what);
    const last = (what: string) => order.lastIndexOf(what);
    for (const web of ['web/0', 'web/1']) {
      expect(first(`${web} pre-backup-lock`)).toBeLessThan(first('database/0 pre-backup-lock'));
      expect(last(`${web} post-backup-unlock`)).toBeGreaterThan(last('database/0 post-backup-unlock'));
      expect(first(`${web} backup`)).toBeGreaterThan(first('database/0 pre-backup-lock'));
    }
    for (const instance of fleet.instances) {
      const scripts = (await fleet.events(instance.name)).map((e) => e.script);
      expect(scripts).toEqual(['metadata', 'pre-backup-lock', 'backup', 'post-backup-unlock']);
      const events = await fleet.events(instance.name);
      const job = instance.jobs[0]!;
      expect(events.find((e) => e.script === 'metadata')?.fields.BBR_VERSION).toMatch(/^\d+\.\d+\.\d+/);
      expect(events.find((e) => e.script === 'backup')?.fields).toMatchObject({
        artifact_dir: `/var/vcap/store/bbr-backup/${job}/`,
        legacy: `/var/vcap/store/bbr-backup/${job}/`,
      });
      expect(events.find((e) => e.script === 'post-backup-unlock')?.fields.successful).toBe('true');
      // Remote artifact directories are gone and nothing is left locked.
      expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup'))).toBe(false);
      expect(existsSync(path.join(instance.dir, 'sys', 'run', `${job}.locked`))).toBe(false);
    }
  });

  it('skips lock and unlock with --unsafe-lock-free', async () => {
    const target = await artifactsDir();
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', target, '--unsafe-lock-free']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const scripts = (await fleet.events('database/0')).map((e) => e.script);
    expect(scripts).toEqual(['metadata', 'backup']);
  });

  it('reads the deployment name from --deployment when given', async () => {
    const target = await artifactsDir();
    const result = await runBbrTs(['deployment', ...flags, '--deployment', 'renamed', 'backup', '-a', target]);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(await readdir(target)).toEqual([expect.stringMatching(/^renamed_\d{8}T\d{6}Z$/)]);
  });
});

describe('deployment pre-backup-check', () => {
  it('passes on a healthy deployment and runs no lock, backup or unlock script', async () => {
    const result = await runBbrTs(['deployment', ...flags, 'pre-backup-check']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/pre-backup-check succeeded/);
    for (const instance of fleet.instances) {
      expect((await fleet.events(instance.name)).map((e) => e.script)).toEqual(['metadata']);
    }
  });

  it('fails, naming the instance, when a remote artifact directory was left over', async () => {
    const leftover = path.join(fleet.instance('web/1').dir, 'store', 'bbr-backup');
    await mkdir(leftover, { recursive: true });
    try {
      const check = await runBbrTs(['deployment', ...flags, 'pre-backup-check']);
      expect(check.exitCode).toBe(1);
      expect(check.stderr).toMatch(/directory \/var\/vcap\/store\/bbr-backup already exists on instance web\/1/);
      expect(check.stderr).toMatch(/backup-cleanup/);
      const target = await artifactsDir();
      const backup = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
      expect(backup.exitCode).toBe(1);
      expect(await readdir(target)).toEqual([]);
      for (const instance of fleet.instances) {
        expect((await fleet.events(instance.name)).map((e) => e.script)).not.toContain('pre-backup-lock');
      }
    } finally {
      await rm(leftover, { recursive: true, force: true });
    }
  });

  it('fails before locking anything when the lock order is cyclic', async () => {
    await fleet.setFault(
      'database/0',
      'database',
      'metadata',
      "printf 'backup_should_be_locked_before:\\n- job_name: web-server\\n  release: example-release\\n'; exit 0",
    );
    const check = await runBbrTs(['deployment', ...flags, 'pre-backup-check']);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toMatch(/cyclic/);
    const backup = await runBbrTs(['deployment', ...flags, 'backup', '-a', await artifactsDir()]);
    expect(backup.exitCode).toBe(1);
    expect(backup.stderr).toMatch(/cyclic/);
    expect((await fleet.events('web/0')).map((e) => e.script)).not.toContain('pre-backup-lock');
  });

  it('fails when no job has a backup script', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-nobackup-'));
    const onlyDatabase = (await readFile(manifest, 'utf8')).replace(/- name: web[\s\S]*$/, '');
    const noScripts = onlyDatabase.replace('name: database, release', 'name: not-a-bbr-job, release');
    const file = path.join(dir, 'manifest.yml');
    await writeFile(file, noScripts);
    // The instance itself still has the database job installed; hide its backup script for this test.
    const script = path.join(fleet.instance('database/0').dir, 'jobs', 'database', 'bin', 'bbr', 'backup');
    const hidden = `${script}.hidden`;
    await execa('mv', [script, hidden]);
    try {
      const check = await runBbrTs(['deployment', ...flags.map((f) => (f === manifest ? file : f)), 'pre-backup-check']);
      expect(check.exitCode).toBe(1);
      expect(check.stderr).toMatch(/deployment 'example' has no backup scripts/);
    } finally {
      await execa('mv', [hidden, script]);
    }
  });
});

describe('host keys', () => {
  it('refuses an instance whose host key is not in known_hosts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-kh-'));
    const known = (await readFile(fleet.knownHostsPath, 'utf8')).split('\n').filter((l) => !l.includes('127.0.2.23'));
    const file = path.join(dir, 'known_hosts');
    await writeFile(file, known.join('\n'));
    const result = await runBbrTs(['deployment', ...flags, '--known-hosts', file, 'pre-backup-check']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/host key of web\/1 at 127\.0\.2\.23:2222 is unknown/);
    expect(result.stderr).toMatch(/ssh-keyscan -p 2222 127\.0\.2\.23/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an instance whose host key changed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-kh-'));
    await execa('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', path.join(dir, 'other')]);
    const otherKey = (await readFile(path.join(dir, 'other.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    const known = (await readFile(fleet.knownHostsPath, 'utf8'))
      .split('\n')
      .map((l) => (l.startsWith('[127.0.2.21]:2222 ') ? `[127.0.2.21]:2222 ${otherKey}` : l));
    const file = path.join(dir, 'known_hosts');
    await writeFile(file, known.join('\n'));
    const result = await runBbrTs(['deployment', ...flags, '--known-hosts', file, 'backup', '-a', await artifactsDir()]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/host key of database\/0 at 127\.0\.2\.21:2222 has CHANGED/);
    expect((await fleet.events('web/0')).map((e) => e.script)).not.toContain('pre-backup-lock');
  });
});

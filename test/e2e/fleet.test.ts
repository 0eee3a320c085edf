// Self-check of the real-SSH test fleet (fixtures/fleet/fleet.mjs) with the example deployment: real sshd
// processes reached with the system ssh client and strict host-key checking. The example's own addresses
// (127.0.0.21-23:2222) are often held by a fleet someone started by hand (cli.mjs up), so this test runs the
// same manifest moved to 127.0.1.21-23.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { utils as sshUtils } from 'ssh2';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const exampleManifest = path.join(repo, 'fixtures', 'example', 'manifest.yml');
const DB = '127.0.1.21';
const WEB0 = '127.0.1.22';
const WEB1 = '127.0.1.23';

/** The example manifest with its static IPs moved from 127.0.0.x to 127.0.1.x. */
async function movedExampleManifest(dir: string): Promise<string> {
  const doc = parseYaml(await readFile(exampleManifest, 'utf8')) as {
    instance_groups: { networks: { static_ips: string[] }[] }[];
  };
  for (const group of doc.instance_groups) {
    for (const net of group.networks) net.static_ips = net.static_ips.map((ip) => ip.replace(/^127\.0\.0\./, '127.0.1.'));
  }
  const file = path.join(dir, 'manifest.yml');
  await writeFile(file, stringifyYaml(doc));
  return file;
}

interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

function ssh(fleet: Fleet, address: string, command: string, knownHosts = fleet.knownHostsPath): Promise<SshResult> {
  const args = [
    '-i', fleet.privateKeyPath,
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-p', String(fleet.port),
    `root@${address}`,
    command,
  ];
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const exists = (p: string) => access(p).then(() => true, () => false);

describe('test fleet (example deployment)', () => {
  let fleet: Fleet;
  let manifestDir: string;
  let manifestPath: string;

  beforeAll(async () => {
    manifestDir = await mkdtemp(path.join(os.tmpdir(), 'fleet-test-manifest-'));
    manifestPath = await movedExampleManifest(manifestDir);
    fleet = await startFleet({ manifestPath });
  });

  afterAll(async () => {
    await fleet?.stop();
    if (fleet) {
      expect(fleet.instances.map((i) => i.isRunning())).toEqual([false, false, false]);
      await rm(fleet.rootDir, { recursive: true, force: true });
    }
    if (manifestDir) await rm(manifestDir, { recursive: true, force: true });
  });

  it('describes the manifest', () => {
    expect(fleet.deploymentName).toBe('example');
    expect(fleet.instances.map((i) => [i.name, i.address, i.port])).toEqual([
      ['database/0', DB, 2222],
      ['web/0', WEB0, 2222],
      ['web/1', WEB1, 2222],
    ]);
    expect(fleet.instance('web/1').group).toBe('web');
    expect(fleet.instance('web/1').index).toBe(1);
    expect(() => fleet.instance('web/7')).toThrow(/web\/7/);
    for (const i of fleet.instances) expect(i.isRunning()).toBe(true);
  });

  it('gives a private key that ssh2 parses and a known_hosts line per instance', async () => {
    const parsed = sshUtils.parseKey(await readFile(fleet.privateKeyPath));
    expect(parsed).not.toBeInstanceOf(Error);
    const lines = (await readFile(fleet.knownHostsPath, 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      `[${DB}]:2222 ssh-ed25519`,
      `[${WEB0}]:2222 ssh-ed25519`,
      `[${WEB1}]:2222 ssh-ed25519`,
    ]);
  });

  it('serves each instance its own /var/vcap over real ssh', async () => {
    const r = await ssh(fleet, WEB0, 'cat /var/vcap/instance-name');
    expect(r).toMatchObject({ code: 0, stdout: 'web/0\n' });
    const db = await ssh(fleet, DB, 'cat /var/vcap/instance-name; ls /var/vcap/jobs; sudo sh -c "find /var/vcap/jobs/*/bin/bbr/* -type f" | wc -l');
    expect(db.stdout).toBe('database/0\ndatabase\n7\n');
    const seeded = await ssh(fleet, WEB1, 'cat /var/vcap/store/web-server/uploads/2.txt');
    expect(seeded.stdout).toContain('web/1');
  });

  it('checks host keys strictly', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'fleet-kh-'));
    try {
      // web/0's key listed for database/0's address: the client must refuse.
      const lines = (await readFile(fleet.knownHostsPath, 'utf8')).trim().split('\n');
      const wrong = lines[1]!.replace(`[${WEB0}]`, `[${DB}]`);
      await writeFile(path.join(other, 'known_hosts'), `${wrong}\n`);
      const r = await ssh(fleet, DB, 'true', path.join(other, 'known_hosts'));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/host key|HOST IDENTIFICATION/i);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('records script events, in order, with their fields', async () => {
    await fleet.clearEvents();
    const meta = await ssh(fleet, WEB0, 'sudo BBR_VERSION=1.2.3 /var/vcap/jobs/web-server/bin/bbr/metadata');
    expect(meta.code).toBe(0);
    expect(parseYaml(meta.stdout)).toEqual({
      backup_should_be_locked_before: [{ job_name: 'database', release: 'example-release' }],
      restore_should_be_locked_before: [{ job_name: 'database', release: 'example-release' }],
    });
    const web0 = fleet.instance('web/0');
    expect((await ssh(fleet, WEB0, '/var/vcap/jobs/web-server/bin/bbr/pre-backup-lock')).code).toBe(0);
    expect(await exists(path.join(web0.dir, 'sys', 'run', 'web-server.locked'))).toBe(true);
    const unlock = 'sudo BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL=true /var/vcap/jobs/web-server/bin/bbr/post-backup-unlock';
    expect((await ssh(fleet, WEB0, unlock)).code).toBe(0);
    expect((await ssh(fleet, WEB0, unlock)).code).toBe(0); // idempotent
    expect(await exists(path.join(web0.dir, 'sys', 'run', 'web-server.locked'))).toBe(false);

    const events = await fleet.events('web/0');
    expect(events.map((e) => [e.job, e.script, e.fields])).toEqual([
      ['web-server', 'metadata', { BBR_VERSION: '1.2.3' }],
      ['web-server', 'pre-backup-lock', {}],
      ['web-server', 'post-backup-unlock', { successful: 'true' }],
      ['web-server', 'post-backup-unlock', { successful: 'true' }],
    ]);
    expect(typeof events[0]!.timeNs).toBe('bigint');
    expect(events[1]!.timeNs).toBeGreaterThanOrEqual(events[0]!.timeNs);
    expect(await fleet.events('web/1')).toEqual([]);
  });

  it('backs up and restores job data through the scripts', async () => {
    const db = fleet.instance('database/0');
    const artifact = '/var/vcap/store/bbr-backup/database/';
    const backup = await ssh(
      fleet,
      db.address,
      `sudo mkdir -p ${artifact} && sudo BBR_ARTIFACT_DIRECTORY=${artifact} ARTIFACT_DIRECTORY=${artifact} /var/vcap/jobs/database/bin/bbr/backup`,
    );
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    const hostArtifact = path.join(db.dir, 'store', 'bbr-backup', 'database');
    expect((await readdir(path.join(hostArtifact, 'data'))).sort()).toEqual([
      'nested',
      'random.bin',
      'users.csv',
      'with space.txt',
    ]);
    const original = await readFile(path.join(db.dir, 'store', 'database', 'data', 'random.bin'));
    expect(original.length).toBe(1024 * 1024);
    expect(await readFile(path.join(db.dir, 'store', 'database', 'data', 'users.csv'), 'utf8')).toContain('database/0');

    // Damage the data, then restore it.
    await rm(path.join(db.dir, 'store', 'database', 'data', 'random.bin'));
    await writeFile(path.join(db.dir, 'store', 'database', 'stray'), 'x');
    const restore = await ssh(fleet, db.address, `sudo BBR_ARTIFACT_DIRECTORY=${artifact} ARTIFACT_DIRECTORY=${artifact} /var/vcap/jobs/database/bin/bbr/restore`);
    expect(restore).toMatchObject({ code: 0, stderr: '' });
    const restored = await readFile(path.join(db.dir, 'store', 'database', 'data', 'random.bin'));
    expect(restored.equals(original)).toBe(true); // (toEqual on 1 MiB buffers takes seconds)
    expect(await exists(path.join(db.dir, 'store', 'database', 'stray'))).toBe(false);

    const events = (await fleet.events('database/0')).filter((e) => e.script === 'backup' || e.script === 'restore');
    expect(events.map((e) => [e.script, e.fields])).toEqual([
      ['backup', { artifact_dir: artifact, legacy: artifact }],
      ['restore', { artifact_dir: artifact, legacy: artifact }],
    ]);
    await rm(path.join(db.dir, 'store', 'bbr-backup'), { recursive: true, force: true });
  });

  it('injects faults after recording the event', async () => {
    await fleet.clearEvents('database/0');
    await fleet.setFault('database/0', 'database', 'pre-backup-lock', 'echo boom >&2; exit 3');
    const failed = await ssh(fleet, DB, 'sudo /var/vcap/jobs/database/bin/bbr/pre-backup-lock');
    expect(failed.code).toBe(3);
    expect(failed.stderr.trim()).toBe('boom');
    expect((await fleet.events('database/0')).map((e) => e.script)).toEqual(['pre-backup-lock']);
    expect(await exists(path.join(fleet.instance('database/0').dir, 'sys', 'run', 'database.locked'))).toBe(false);

    await fleet.clearFaults();
    const ok = await ssh(fleet, DB, 'sudo /var/vcap/jobs/database/bin/bbr/pre-backup-lock && sudo /var/vcap/jobs/database/bin/bbr/post-restore-unlock');
    expect(ok.code).toBe(0);
    expect((await fleet.events('database/0')).map((e) => e.script)).toEqual([
      'pre-backup-lock',
      'pre-backup-lock',
      'post-restore-unlock',
    ]);
  });

  it('refuses to start a second fleet on addresses in use', async () => {
    await expect(startFleet({ manifestPath, seed: false })).rejects.toThrow(/127\.0\.1\.2[123]:2222 .*already in use/);
  });

  it('makes a killed instance unreachable, and restart brings it back', async () => {
    const web1 = fleet.instance('web/1');
    const pid = web1.pid;
    web1.kill();
    for (let i = 0; i < 100 && web1.isRunning(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(web1.isRunning()).toBe(false);
    // The kernel may still be tearing down the killed listener's socket for a moment (seen as a reset during
    // the key exchange); what matters is that the address soon refuses connections.
    let r = await ssh(fleet, web1.address, 'true');
    for (let i = 0; i < 20 && !/refused/i.test(r.stderr); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await ssh(fleet, web1.address, 'true');
    }
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/refused/i);
    // The others are unaffected.
    expect((await ssh(fleet, WEB0, 'cat /var/vcap/instance-name')).stdout).toBe('web/0\n');

    await web1.restart();
    expect(web1.isRunning()).toBe(true);
    expect(web1.pid).not.toBe(pid);
    expect((await ssh(fleet, web1.address, 'cat /var/vcap/instance-name')).stdout).toBe('web/1\n');
  });
});

// Issue 16, encryption at rest: `backup --encrypt-to` stores every artifact and the manifest copy as age files
// (readable by Debian's `age` CLI), locally and in S3; restore, drill and verify read them with `--identity`;
// a missing or wrong identity is refused before anything connects (so before any lock); `artifact export`
// writes a plain BBR copy. The example deployment on 127.0.70.21-23, an S3 server (Swift) on 127.0.70.1.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { treeHashes } from '../support/artifacts.js';
import { runBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { startS3Server, swiftInstalled, type S3Server } from '../support/s3-server.js';

let fleet: Fleet;
let flags: string[];
let s3: S3Server;
let keyFile: string;
let recipient: string;
let secret: string;
let wrongKeyFile: string;

useExampleFleet('127.0.70', (started) => ({ fleet, flags } = started));

beforeAll(async () => {
  const keys = await tempArtifactsDir('bbr-ts-keys-');
  keyFile = path.join(keys, 'key.txt');
  wrongKeyFile = path.join(keys, 'wrong.txt');
  await execa('age-keygen', ['-o', keyFile]);
  await execa('age-keygen', ['-o', wrongKeyFile]);
  const text = await readFile(keyFile, 'utf8');
  recipient = /public key: (age1\w+)/.exec(text)![1]!;
  secret = /AGE-SECRET-KEY-1\w+/.exec(text)![0];
  if (!swiftInstalled()) throw new Error('swift-proxy-server is missing: scripts/test.sh installs the swift packages');
  s3 = await startS3Server({ ip: '127.0.70.1' });
  await s3.createBucket('sealed');
});
afterAll(async () => {
  await s3?.stop();
});

const storeOf = (instance: string) => path.join(fleet.instance(instance).dir, 'store', fleet.instance(instance).jobs[0]!);
const bbr = (args: string[]) => runBbrTs(args, { env: s3.env() });

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const i of fleet.instances) out[i.name] = JSON.stringify(await treeHashes(storeOf(i.name)));
  return out;
}

async function damageData(): Promise<void> {
  for (const i of fleet.instances) await writeFile(path.join(storeOf(i.name), 'added-after-backup.txt'), 'should disappear\n');
}

function expectNoSecret(...outputs: string[]): void {
  for (const output of outputs) expect(output).not.toContain(secret);
}

describe('encrypted backups (local)', () => {
  let artifacts: string;
  let dir: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    artifacts = await tempArtifactsDir();
    before = await snapshot();
    const run = await bbr(['deployment', ...flags, 'backup', '-a', artifacts, '--with-manifest', '--encrypt-to', recipient]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    dir = path.join(artifacts, (await readdir(artifacts)).find((n) => n.startsWith('example_'))!);
  });

  it('stores age files only: no plain tar or manifest; metadata stays BBR metadata', async () => {
    const files = (await readdir(dir)).sort();
    expect(files.filter((f) => f.endsWith('.tar'))).toEqual([]);
    expect(files).toContain('manifest.yml.age');
    expect(files).toContain('encryption.json');
    expect(files).toContain('metadata');
    expect(files.filter((f) => f.endsWith('.tar.age')).length).toBeGreaterThan(0);
    const record = JSON.parse(await readFile(path.join(dir, 'encryption.json'), 'utf8'));
    expect(record.recipients).toEqual([recipient]);
    expect(await readFile(path.join(dir, 'metadata'), 'utf8')).toMatch(/checksums:/);
  });

  it('the age CLI decrypts an artifact into a tar, and the manifest copy', async () => {
    const tarFile = (await readdir(dir)).find((f) => f.endsWith('.tar.age'))!;
    const listing = await execa('sh', ['-c', 'age -d -i "$1" "$2" | tar t', 'sh', keyFile, path.join(dir, tarFile)]);
    expect(listing.stdout.trim().split('\n').length).toBeGreaterThan(0);
    const manifest = await execa('age', ['-d', '-i', keyFile, path.join(dir, 'manifest.yml.age')]);
    expect(manifest.stdout).toContain('instance_groups');
  });

  it('verify: without --identity the ciphertext is checked and the contents said to be unchecked; with it, every checksum', async () => {
    const sealed = await bbr(['artifact', 'verify', dir]);
    expect(sealed.exitCode).toBe(0);
    expect(sealed.stdout).toContain('contents NOT checked');
    const opened = await bbr(['artifact', 'verify', dir, '--identity', keyFile]);
    expect(opened.stderr).toBe('');
    expect(opened.exitCode).toBe(0);
    expect(opened.stdout).toMatch(/: whole, \d+ artifact\(s\) verified/);
    const wrong = await bbr(['artifact', 'verify', dir, '--identity', wrongKeyFile]);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain('no identity given opens');
    expectNoSecret(sealed.stdout, sealed.stderr, opened.stdout, opened.stderr);
  });

  it('restore without an identity, or with the wrong one, is refused before connecting; with it, the data comes back', async () => {
    await damageData();
    await fleet.clearEvents();
    const none = await bbr(['deployment', ...flags, 'restore', '-a', dir]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('is encrypted (age)');
    expect(none.stderr).toContain('--identity');
    const wrong = await bbr(['deployment', ...flags, 'restore', '-a', dir, '--identity', wrongKeyFile]);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain('no identity given opens');
    // Nothing ran on any instance: not a lock, not even metadata.
    for (const i of fleet.instances) expect(await fleet.events(i.name), i.name).toEqual([]);

    const restored = await bbr(['deployment', ...flags, 'restore', '-a', dir, '--identity', keyFile]);
    expect(restored.stderr).toBe('');
    expect(restored.exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);
    expectNoSecret(restored.stdout, restored.stderr, none.stderr, wrong.stderr);
  });

  it('drill reads it with --identity', async () => {
    const drilled = await bbr(['deployment', ...flags, 'drill', '-a', dir, '--identity', keyFile, '--verify', 'true']);
    expect(drilled.exitCode, drilled.stderr).toBe(0);
  });

  it('artifact export writes a plain BBR copy that restores', async () => {
    const plain = path.join(await tempArtifactsDir(), 'example_plain');
    const exported = await bbr(['artifact', 'export', dir, plain, '--identity', keyFile]);
    expect(exported.stderr).toBe('');
    expect(exported.exitCode).toBe(0);
    const files = await readdir(plain);
    expect(files.some((f) => f.endsWith('.age'))).toBe(false);
    expect(files).toContain('manifest.yml');
    expect((await bbr(['artifact', 'verify', plain])).exitCode).toBe(0);
    await damageData();
    const restored = await bbr(['deployment', ...flags, 'restore', '-a', plain]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});

describe('encrypted backups (S3)', () => {
  it('compressed on the wire, encrypted at rest in S3, restored with the identity', async () => {
    const before = await snapshot();
    const run = await bbr(['deployment', ...flags, 'backup', '-a', 's3://sealed/cf', ...s3.flags, '--encrypt-to', recipient, '--remote-compress', 'gzip']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const keys = (await s3.list('sealed', 'cf/')).map((o) => o.key);
    expect(keys.some((k) => k.endsWith('.tar'))).toBe(false);
    const tarKey = keys.find((k) => k.endsWith('.tar.age'))!;
    const name = tarKey.split('/')[1]!;
    // The age CLI reads the object as stored.
    const local = path.join(await tempArtifactsDir(), 'object.age');
    await writeFile(local, await s3.get('sealed', tarKey));
    expect((await execa('sh', ['-c', 'age -d -i "$1" "$2" | tar t', 'sh', keyFile, local])).exitCode).toBe(0);

    const url = `s3://sealed/cf/${name}`;
    const sealed = await bbr(['artifact', 'verify', url, ...s3.flags]);
    expect(sealed.exitCode).toBe(0);
    expect(sealed.stdout).toContain('contents NOT checked');
    await damageData();
    await fleet.clearEvents();
    const wrong = await bbr(['deployment', ...flags, 'restore', '-a', url, ...s3.flags, '--identity', wrongKeyFile]);
    expect(wrong.exitCode).toBe(1);
    for (const i of fleet.instances) expect((await fleet.events(i.name)).map((e) => e.script), i.name).not.toContain('pre-restore-lock');
    const restored = await bbr(['deployment', ...flags, 'restore', '-a', url, ...s3.flags, '--identity', keyFile]);
    expect(restored.stderr).toBe('');
    expect(restored.exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});

describe('compressed backups (--compress gzip), alone and encrypted', () => {
  it('stores .tar.gz that gzip reads, verifies and restores; a file that expands past its recorded size is refused', async () => {
    const before = await snapshot();
    const artifacts = await tempArtifactsDir();
    const run = await bbr(['deployment', ...flags, 'backup', '-a', artifacts, '--compress', 'gzip']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const dir = path.join(artifacts, (await readdir(artifacts))[0]!);
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.tar'))).toEqual([]);
    const gz = files.find((f) => f.endsWith('.tar.gz'))!;
    expect(gz).toBeDefined();
    expect(files).toContain('compression.json');
    expect((await execa('sh', ['-c', 'gzip -dc "$1" | tar t', 'sh', path.join(dir, gz)])).exitCode).toBe(0);
    const verified = await bbr(['artifact', 'verify', dir]);
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/: whole/);
    await damageData();
    const restored = await bbr(['deployment', ...flags, 'restore', '-a', dir]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await snapshot()).toEqual(before);

    // compression.json is the bound on how far a file may expand: lie about it, and reading stops.
    const record = JSON.parse(await readFile(path.join(dir, 'compression.json'), 'utf8'));
    record.files[gz.slice(0, -3)].plaintextBytes = 100;
    await writeFile(path.join(dir, 'compression.json'), JSON.stringify(record));
    const bomb = await bbr(['artifact', 'verify', dir]);
    expect(bomb.exitCode).toBe(1);
    expect(bomb.stderr).toContain('expands beyond the 100 bytes recorded for it');
  });

  it('compressed then encrypted: .tar.gz.age that age and gzip read; restored and exported with the identity', async () => {
    const before = await snapshot();
    const artifacts = await tempArtifactsDir();
    const run = await bbr(['deployment', ...flags, 'backup', '-a', artifacts, '--with-manifest', '--compress', 'gzip', '--encrypt-to', recipient]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const dir = path.join(artifacts, (await readdir(artifacts))[0]!);
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.tar') || f.endsWith('.tar.gz'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['compression.json.age', 'manifest.yml.age', 'encryption.json', 'metadata']));
    const sealed = files.find((f) => f.endsWith('.tar.gz.age'))!;
    expect((await execa('sh', ['-c', 'age -d -i "$1" "$2" | gzip -dc | tar t', 'sh', keyFile, path.join(dir, sealed)])).exitCode).toBe(0);

    const unchecked = await bbr(['artifact', 'verify', dir]);
    expect(unchecked.exitCode).toBe(0);
    expect(unchecked.stdout).toContain('contents NOT checked');
    const checked = await bbr(['artifact', 'verify', dir, '--identity', keyFile]);
    expect(checked.exitCode, checked.stderr).toBe(0);
    await damageData();
    const restored = await bbr(['deployment', ...flags, 'restore', '-a', dir, '--identity', keyFile]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await snapshot()).toEqual(before);
    const plain = path.join(await tempArtifactsDir(), 'example_plain');
    const exported = await bbr(['artifact', 'export', dir, plain, '--identity', keyFile]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    expect((await readdir(plain)).filter((f) => f.endsWith('.gz') || f.endsWith('.age'))).toEqual([]);
  });
});

// Issue 14 end to end: backups straight into S3-compatible object storage and restores straight out of it,
// against the example deployment as real sshd instances (127.0.62.21-23) and a real S3 server (OpenStack
// Swift + s3api on 127.0.65.1, test/support/s3-server.ts) that checks signatures.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { buildBbrArtifact, BBR_ARTIFACT_FIXTURE, treeHashes } from '../support/artifacts.js';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';
import { startS3Server, swiftInstalled, type S3Server } from '../support/s3-server.js';

let fleet: Fleet;
let flags: string[];
let s3: S3Server;
const BUCKET = 'backups';

useExampleFleet('127.0.62', (started) => ({ fleet, flags } = started));

beforeAll(async () => {
  if (!swiftInstalled()) throw new Error('swift-proxy-server is missing: scripts/test.sh installs the swift packages');
  s3 = await startS3Server({ ip: '127.0.65.1' });
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  await s3?.stop();
});

const storeOf = (instance: string) => path.join(fleet.instance(instance).dir, 'store', fleet.instance(instance).jobs[0]!);

async function bbr(args: string[], env: Record<string, string> = {}) {
  // The jobs' scratch folder is this test's cwd: "nothing touches the jumpbox disk" is checked against it.
  return runBbrTs(args, { env: s3.env(env), cwd: jumpbox });
}
let jumpbox: string;
beforeAll(async () => {
  jumpbox = await tempArtifactsDir('bbr-ts-jumpbox-');
});

async function scriptsRan(instance: string): Promise<string[]> {
  return (await fleet.events(instance)).map((e) => e.script);
}

function expectNothingLeftOnInstances(): void {
  for (const instance of fleet.instances) {
    expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup')), instance.name).toBe(false);
    expect(existsSync(path.join(instance.dir, 'sys', 'run', `${instance.jobs[0]}.locked`)), instance.name).toBe(false);
  }
}

/** Backs up into s3://backups/<prefix>; returns the backup's URL and key prefix. */
async function backupTo(prefix: string, extra: string[] = []): Promise<{ url: string; dir: string }> {
  const result = await bbr(['deployment', ...flags, 'backup', '-a', `s3://${BUCKET}/${prefix}`, ...s3.flags, ...extra]);
  expect(result.stderr).toBe('');
  expect(result.exitCode, result.stdout).toBe(0);
  const keys = (await s3.list(BUCKET, `${prefix}/`)).map((o) => o.key);
  const dir = keys.find((k) => k.endsWith('/metadata'))!.replace(/\/metadata$/, '');
  return { url: `s3://${BUCKET}/${dir}`, dir };
}

/** Downloads every object under a key prefix into a local folder, as any S3 client would. */
async function copyDown(dir: string): Promise<string> {
  const local = path.join(await tempArtifactsDir('bbr-ts-s3-copy-'), path.basename(dir));
  await mkdir(local);
  for (const o of await s3.list(BUCKET, `${dir}/`)) await writeFile(path.join(local, o.key.slice(dir.length + 1)), await s3.get(BUCKET, o.key));
  return local;
}

describe('object storage (S3)', () => {
  it('backs up straight into S3 in the local layout, nothing on the jumpbox disk, and restores byte-exact from it', async () => {
    const before = Object.fromEntries(fleet.instances.map((i) => [i.name, '']));
    for (const i of fleet.instances) before[i.name] = JSON.stringify(await treeHashes(storeOf(i.name)));
    const { url, dir } = await backupTo('cf', ['--with-manifest']);
    expect(dir).toMatch(/^cf\/example_\d{8}T\d{6}Z$/);
    expect((await s3.list(BUCKET, `${dir}/`)).map((o) => o.key.slice(dir.length + 1)).sort()).toEqual([
      'database-0-database.tar',
      'manifest.yml',
      'metadata',
      'web-0-web-server.tar',
      'web-1-web-server.tar',
    ]);
    expect(await s3.openUploads(BUCKET)).toEqual([]);
    expect(await readdir(jumpbox)).toEqual([]);
    expectNothingLeftOnInstances();

    // BBR compatibility: the prefix copied down with a plain S3 client is a backup directory GNU tar reads
    // and whose metadata matches the tars (what BBR checks before restoring).
    const local = await copyDown(dir);
    const metadata = parse(await readFile(path.join(local, 'metadata'), 'utf8')) as { instances: { name: string; index: string }[] };
    expect(metadata.instances.map((i) => `${i.name}/${i.index}`)).toEqual(['database/0', 'web/0', 'web/1']);
    await execa('tar', ['-tf', path.join(local, 'database-0-database.tar')]);
    const localCheck = await runBbrTs(['artifact', 'verify', local]);
    expect(localCheck.exitCode, localCheck.stderr).toBe(0);

    // Change the data, then restore from S3.
    for (const i of fleet.instances) await writeFile(path.join(storeOf(i.name), 'added-after-backup.txt'), 'should disappear\n');
    await fleet.clearEvents();
    const restored = await bbr(['deployment', ...flags, 'restore', '-a', url, ...s3.flags]);
    expect(restored.stderr).toBe('');
    expect(restored.exitCode, restored.stdout).toBe(0);
    for (const i of fleet.instances) {
      expect(JSON.stringify(await treeHashes(storeOf(i.name))), i.name).toBe(before[i.name]);
      expect(await scriptsRan(i.name)).toEqual(['metadata', 'pre-restore-lock', 'restore', 'post-restore-unlock']);
    }
    expect(await readdir(jumpbox)).toEqual([]);
    expectNothingLeftOnInstances();

    // The copied-down directory restores too (the same backup, from the local disk).
    const fromDisk = await bbr(['deployment', ...flags, 'restore', '-a', local]);
    expect(fromDisk.exitCode, fromDisk.stderr).toBe(0);
  });

  it('artifact verify, show and list work on S3', async () => {
    const { url } = await backupTo('tools');
    const verified = await bbr(['artifact', 'verify', url, ...s3.flags]);
    expect(verified.stderr).toBe('');
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout).toMatch(/database-0-database\.tar \(database\/0 database\): OK, \d+ file\(s\)/);
    expect(verified.stdout).toContain(`${url}: whole, 3 artifact(s) verified`);

    const shown = await bbr(['artifact', 'show', url, ...s3.flags]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/deployment:\s+example/);
    expect(shown.stdout).toMatch(/web\/1 web-server: \d+ file\(s\), [\d.]+ \w?i?B \(web-1-web-server\.tar\)/);

    // A drill restores from S3 too, and the region falls back to us-east-1 when none is configured anywhere.
    const drilled = await bbr(['deployment', ...flags, 'drill', '-a', url, ...s3.flags, '--verify', 'true'], { AWS_REGION: undefined as unknown as string });
    expect(drilled.exitCode, drilled.stderr).toBe(0);
    expect(drilled.stdout).toMatch(/drill PASSED/);

    // A failed-looking and an incomplete backup next to the good one.
    await s3.put(BUCKET, 'tools/example_20200101T000000Z/.bbr-ts-failed', 'failed\n');
    await s3.put(BUCKET, 'tools/example_20200102T000000Z/web-0-web-server.tar', Buffer.alloc(10240));
    const listed = await bbr(['artifact', 'list', `s3://${BUCKET}/tools`, ...s3.flags]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^DEPLOYMENT\s+TIME\s+SIZE\s+STATUS\s+LOCATION$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[3])).toEqual(['failed', 'incomplete', 'complete']);
    expect(lines[3]).toContain(url);

    // Neither the failed nor the incomplete one verifies or restores.
    for (const name of ['example_20200101T000000Z', 'example_20200102T000000Z']) {
      const check = await bbr(['artifact', 'verify', `s3://${BUCKET}/tools/${name}`, ...s3.flags]);
      expect(check.exitCode).toBe(1);
      expect(check.stderr).toMatch(/failed|not a complete backup/);
    }
  });

  it('artifact list works on a local folder too: complete, failed (.failed) and incomplete (.partial or no metadata)', async () => {
    const { dir } = await backupTo('for-local-list');
    const local = await copyDown(dir);
    const parent = path.dirname(local);
    await mkdir(path.join(parent, 'example_20200101T000000Z.failed'));
    await mkdir(path.join(parent, 'example_20200102T000000Z.partial'));
    await mkdir(path.join(parent, 'example_20200103T000000Z'));
    await mkdir(path.join(parent, 'not-a-backup'));
    const listed = await runBbrTs(['artifact', 'list', parent]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => [r[1], r[3]])).toEqual([
      ['2020/01/01 00:00:00 UTC', 'failed'],
      ['2020/01/02 00:00:00 UTC', 'incomplete'],
      ['2020/01/03 00:00:00 UTC', 'incomplete'],
      [expect.stringMatching(/UTC$/), 'complete'],
    ]);
    expect(rows[3]![4]).toBe(local);
  });

  it('restores a backup written in Go bbr\'s format after copying it up with a plain S3 client', async () => {
    const artifact = await buildBbrArtifact();
    const name = path.basename(artifact);
    for (const file of await readdir(artifact)) await s3.put(BUCKET, `bbr/${name}/${file}`, await readFile(path.join(artifact, file)));
    const result = await bbr(['deployment', ...flags, 'restore', '-a', `s3://${BUCKET}/bbr/${name}`, ...s3.flags]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const contents = path.join(BBR_ARTIFACT_FIXTURE, 'contents');
    expect(await treeHashes(storeOf('database/0'))).toEqual(await treeHashes(path.join(contents, 'database-0-database')));
    expectNothingLeftOnInstances();
  });

  it('refuses a wrong secret and a missing bucket before any lock, in the pre-flight (the run lock\'s first request)', async () => {
    const summary = path.join(jumpbox, '..', 'denied-summary.json');
    const wrong = await bbr(['deployment', ...flags, 'backup', '-a', `s3://${BUCKET}/denied`, ...s3.flags, '--summary-json', summary], {
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    expect(wrong.exitCode).toBe(1);
    const summaryText = await readFile(summary, 'utf8');
    expect(JSON.parse(summaryText)).toMatchObject({ exitCode: 1 });
    expect(summaryText).toMatch(/SignatureDoesNotMatch/);
    expect(summaryText).not.toContain('not-the-secret');
    // The run lock is the first request (before connecting, so before any lock on an instance).
    expect(wrong.stderr).toMatch(/S3 pre-flight check: writing the run lock s3:\/\/backups\/denied\/\.bbr-ts-locks\/example\/\S+ failed: SignatureDoesNotMatch/);
    expect(wrong.stderr).toMatch(/check the credentials/);
    expect(wrong.stderr + wrong.stdout).not.toContain('not-the-secret');
    const missing = await bbr(['deployment', ...flags, 'backup', '-a', 's3://no-such-bucket/x', ...s3.flags]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/NoSuchBucket/);
    expect(missing.stderr).toMatch(/create the bucket 'no-such-bucket'/);
    for (const instance of fleet.instances) expect(await scriptsRan(instance.name)).toEqual([]);
    expect(await s3.list(BUCKET, 'denied/')).toEqual([]);
  });

  it('refuses to restore (nothing locked) when an object does not match its metadata', async () => {
    const { url, dir } = await backupTo('tampered');
    // Another valid tar of the same job in place of web/1's: the size can even stay plausible.
    const other = await s3.get(BUCKET, `${dir}/web-0-web-server.tar`);
    await s3.put(BUCKET, `${dir}/web-1-web-server.tar`, other);
    await writeFile(path.join(storeOf('web/1'), 'added-after-backup.txt'), 'must stay\n');
    await fleet.clearEvents();
    const result = await bbr(['deployment', ...flags, 'restore', '-a', url, ...s3.flags]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/web-1-web-server\.tar does not match its metadata/);
    for (const instance of fleet.instances) expect(await scriptsRan(instance.name)).toEqual(['metadata']);
    expect(await readFile(path.join(storeOf('web/1'), 'added-after-backup.txt'), 'utf8')).toBe('must stay\n');
    expectNothingLeftOnInstances();
    await rm(path.join(storeOf('web/1'), 'added-after-backup.txt'));

    // artifact verify reads every byte and says the same.
    const check = await bbr(['artifact', 'verify', url, ...s3.flags]);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/web-1-web-server\.tar \(web\/1 web-server\): BROKEN/);
  });

  it('a cancelled run (SIGINT mid-upload): every job unlocked, multipart uploads aborted, the backup marked failed', async () => {
    const big = path.join(storeOf('database/0'), 'big.bin');
    await execa('sh', ['-c', 'head -c 314572800 /dev/zero >"$1"', 'sh', big]);
    try {
      const run = startBbrTs(['deployment', ...flags, 'backup', '-a', `s3://${BUCKET}/cancelled`, ...s3.flags, '--s3-part-size', '5'], { env: s3.env(), cwd: jumpbox });
      while ((await s3.openUploads(BUCKET, 'cancelled/')).length === 0) {
        if (run.exitCode !== null) throw new Error(`bbr-ts ended before the upload started: ${(await run).stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      run.kill('SIGINT');
      const result = await run;
      expect(result.exitCode, result.stderr).not.toBe(0);
      for (const instance of fleet.instances) {
        const unlocks = (await fleet.events(instance.name)).filter((e) => e.script === 'post-backup-unlock');
        expect(unlocks.length, instance.name).toBe(1);
      }
      expectNothingLeftOnInstances();
      expect(await s3.openUploads(BUCKET, 'cancelled/')).toEqual([]);
      const keys = (await s3.list(BUCKET, 'cancelled/')).map((o) => o.key);
      expect(keys.filter((k) => !k.endsWith('/.bbr-ts-failed'))).toEqual([]);
      expect(keys).toHaveLength(1);
    } finally {
      await rm(big, { force: true });
    }
  });

  it('a killed S3 server mid-upload: exit 1, every job unlocked, no open multipart upload, no complete-looking backup', async () => {
    // A big file, so the drain is still uploading when the server dies.
    const big = path.join(storeOf('database/0'), 'big.bin');
    await execa('sh', ['-c', 'head -c 629145600 /dev/zero >"$1"', 'sh', big]);
    try {
      const run = startBbrTs(['deployment', ...flags, 'backup', '-a', `s3://${BUCKET}/killed`, ...s3.flags, '--s3-part-size', '5'], { env: s3.env(), cwd: jumpbox });
      let stderr = '';
      let stdout = '';
      run.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      run.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      // Wait until the big artifact's multipart upload is under way, then crash the server.
      while ((await s3.openUploads(BUCKET, 'killed/')).length === 0) {
        if (run.exitCode !== null) throw new Error(`bbr-ts ended before the upload started: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      s3.kill();
      // The run reports that it cannot reach S3 to clean up, and keeps trying (bounded); bring S3 back.
      while (!/cannot reach S3 to remove the failed backup/.test(stdout) && run.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      await s3.start();
      const result = await run;
      expect(result.exitCode, stderr + stdout).toBe(1);
      expect(stderr).toMatch(/cannot write the artifact of job 'database' on database\/0 to s3:\/\/backups\/killed\/example_\d{8}T\d{6}Z\/database-0-database\.tar: uploading .* failed: ECONNREFUSED/);
      expect(stderr).toMatch(/next step: check that the S3 endpoint/);
      for (const instance of fleet.instances) {
        const unlocks = (await fleet.events(instance.name)).filter((e) => e.script === 'post-backup-unlock');
        expect(unlocks.length, instance.name).toBe(1);
      }
      expectNothingLeftOnInstances();
      expect(await s3.openUploads(BUCKET, 'killed/')).toEqual([]);
      const keys = (await s3.list(BUCKET, 'killed/')).map((o) => o.key);
      expect(keys.filter((k) => k.endsWith('/metadata'))).toEqual([]);
      expect(keys.filter((k) => k.endsWith('.tar'))).toEqual([]);
      expect(keys.some((k) => k.endsWith('/.bbr-ts-failed'))).toBe(true);
      const listed = await bbr(['artifact', 'list', `s3://${BUCKET}/killed`, ...s3.flags]);
      expect(listed.stdout).toMatch(/failed/);
      expect(listed.stdout).not.toMatch(/complete\s/);
      expect(await readdir(jumpbox)).toEqual([]);
    } finally {
      await rm(big, { force: true });
    }
  });
});

// Issue 12, items 5 and 7, against real sshd instances (127.0.50.21-23): what scripts are told and what
// bbr-ts shows when they fail. An SDK-style metadata script (fixtures/jobs/sdk-blobstore) refuses bbr versions
// below 1.4.0, as the backup-and-restore SDK's blobstore jobs do; real scripts report failures on stdout too.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { BBR_COMPATIBLE_VERSION } from '../../src/contract/bbr-version.js';
import { REPO_ROOT, runBbrTs } from '../support/cli.js';
import { exampleManifestOn, fleetFlags, tempArtifactsDir } from '../support/deployments.js';

const SDK_METADATA = path.join(REPO_ROOT, 'fixtures', 'jobs', 'sdk-blobstore', 'bin', 'bbr', 'metadata');
const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  // The example deployment, with the SDK-style job next to database on database/0.
  const manifest = await exampleManifestOn('127.0.50');
  const text = await readFile(manifest, 'utf8');
  const withSdkJob = text.replace('jobs: [{name: database, release: example-release}]', 'jobs: [{name: database, release: example-release}, {name: sdk-blobstore, release: backup-and-restore-sdk}]');
  expect(withSdkJob).not.toBe(text);
  await writeFile(manifest, withSdkJob);
  fleet = await startFleet({ manifestPath: manifest });
  flags = fleetFlags(fleet, manifest);
});
afterAll(async () => {
  await fleet?.stop();
});
beforeEach(async () => {
  await fleet.clearEvents();
  await fleet.clearFaults();
});

const errorsOf = (stderr: string) => stderr.slice(stderr.indexOf('error(s) occurred:'));

describe('BBR_VERSION', () => {
  it('the SDK-style metadata script refuses a bbr below 1.4.0 (so the next test can fail)', async () => {
    const old = await execa(SDK_METADATA, [], { env: { BBR_VERSION: '0.1.0' }, extendEnv: false, reject: false });
    expect(old.exitCode).toBe(1);
    expect(old.stderr).toMatch(/1\.4\.0 or newer is needed/);
    const current = await execa(SDK_METADATA, [], { env: { BBR_VERSION: BBR_COMPATIBLE_VERSION }, extendEnv: false, reject: false });
    expect(current.exitCode).toBe(0);
  });

  it('is the BBR release bbr-ts follows, so a deployment with an SDK blobstore job backs up; BBR_TS_VERSION is bbr-ts\'s own', async () => {
    expect(BBR_COMPATIBLE_VERSION).toMatch(/^1\.(\d+)\.\d+$/);
    expect(Number(BBR_COMPATIBLE_VERSION.split('.')[1])).toBeGreaterThanOrEqual(4);
    const target = await tempArtifactsDir('bbr-ts-script-env-');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [artifact] = await readdir(target);
    expect(await readdir(path.join(target, artifact!))).toContain('database-0-sdk-blobstore.tar');
    const metadataRuns = (await fleet.events('database/0')).filter((e) => e.job === 'sdk-blobstore' && e.script === 'metadata');
    expect(metadataRuns.map((e) => e.fields)).toEqual([{ BBR_VERSION: BBR_COMPATIBLE_VERSION, BBR_TS_VERSION: pkg.version }]);
    // Every other job is told the same BBR_VERSION.
    expect((await fleet.events('web/0')).find((e) => e.script === 'metadata')?.fields.BBR_VERSION).toBe(BBR_COMPATIBLE_VERSION);
  });

  it('job test runs metadata with the same BBR_VERSION', async () => {
    const result = await runBbrTs(['job', 'test', path.join(REPO_ROOT, 'fixtures', 'jobs', 'sdk-blobstore'), '--only', 'lint']);
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/PASS {2}metadata succeeded/);
  });
});

describe('a failing script\'s output', () => {
  it('shows the last lines of stdout when the script reports there (credhub-style health check)', async () => {
    await fleet.setFault('web/0', 'web-server', 'post-backup-unlock', 'echo "waiting for web-server to come back"; echo "health check failed"; exit 1');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', await tempArtifactsDir('bbr-ts-script-env-')]);
    expect(result.exitCode).toBe(8);
    const errors = errorsOf(result.stderr);
    expect(errors).toMatch(
      /post-backup-unlock script of job 'web-server' on web\/0 exited with status 1\n {4}stdout \(last lines\):\n {6}waiting for web-server to come back\n {6}health check failed\n/,
    );
    expect(errors).not.toMatch(/stderr \(last lines\)/);
  });

  it('shows both streams, labelled, when the script writes to both', async () => {
    await fleet.setFault('web/1', 'web-server', 'backup', 'echo "uploading 3 blobs"; echo "curl: (7) Failed to connect to blobstore" >&2; exit 2');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', await tempArtifactsDir('bbr-ts-script-env-')]);
    expect(result.exitCode).toBe(1);
    expect(errorsOf(result.stderr)).toMatch(
      /backup script of job 'web-server' on web\/1 exited with status 2\n {4}stdout \(last lines\):\n {6}uploading 3 blobs\n {4}stderr \(last lines\):\n {6}curl: \(7\) Failed to connect to blobstore\n/,
    );
  });
});

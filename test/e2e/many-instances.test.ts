// Twelve real sshd instances (127.0.59.1-12) backed up at parallelism 12: every running command listens on the
// run's abort signals, and a run that keeps more than ten commands going must not print Node's
// MaxListenersExceededWarning among its output (issue 17's bench showed it at parallelism 10).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { fleetFlags, tempArtifactsDir } from '../support/deployments.js';

const COUNT = 12;
let fleet: Fleet;
let manifest: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-many-'));
  manifest = path.join(work, 'manifest.yml');
  const ips = Array.from({ length: COUNT }, (_, i) => `127.0.59.${i + 1}`).join(', ');
  await writeFile(manifest, `name: many\ninstance_groups:\n- name: web\n  instances: ${COUNT}\n  jobs: [{name: web-server, release: example-release}]\n  networks: [{name: default, static_ips: [${ips}]}]\n`);
  fleet = await startFleet({ manifestPath: manifest });
});
afterAll(async () => {
  await fleet?.stop();
  await rm(work, { recursive: true, force: true });
});

it('backs up more instances at once than Node allows listeners by default, without a warning', async () => {
  const artifacts = await tempArtifactsDir();
  const result = await runBbrTs(['deployment', ...fleetFlags(fleet, manifest), '--parallelism', String(COUNT), 'backup', '-a', artifacts]);
  expect(result.exitCode, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`drain: finished`));
  expect(result.stderr + result.stdout).not.toMatch(/MaxListenersExceededWarning|Warning:/);
});

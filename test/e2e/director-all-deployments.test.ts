// Issue 15, `--all-deployments` as in BBR: every deployment the (stand-in) director lists, each through its own
// temporary SSH user, one artifact directory each, one summary line per deployment, exit codes ORed. Three real
// sshd fleets on 127.0.68.x: `example` (backs up), `plain` (no backup scripts: skipped), `broken` (its instance
// is down: fails).
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { startStandInDirector, type StandInDirector } from '../support/director.js';
import { startExampleFleet, tempArtifactsDir } from '../support/deployments.js';

const fleets: Fleet[] = [];
let director: StandInDirector;
let flags: string[];
const env = { BOSH_CLIENT_SECRET: 'director-secret' };

async function oneInstanceFleet(name: string, address: string, job: string, jobsDir?: string): Promise<{ fleet: Fleet; manifestText: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bbr-ts-${name}-`));
  const manifestText = `name: ${name}\ninstance_groups:\n- name: ${name}\n  instances: 1\n  jobs: [{name: ${job}, release: r}]\n  networks: [{name: default, static_ips: [${address}]}]\n`;
  await writeFile(path.join(dir, 'manifest.yml'), manifestText);
  const fleet = await startFleet({ manifestPath: path.join(dir, 'manifest.yml'), jobsDir });
  fleets.push(fleet);
  return { fleet, manifestText };
}

beforeAll(async () => {
  const example = await startExampleFleet('127.0.68');
  fleets.push(example.fleet);
  // A job folder without bin/bbr: the deployment has no backup scripts at all.
  const jobsDir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-jobs-'));
  await mkdir(path.join(jobsDir, 'plain'));
  const plain = await oneInstanceFleet('plain', '127.0.68.31', 'plain', jobsDir);
  const broken = await oneInstanceFleet('broken', '127.0.68.41', 'database');
  await broken.fleet.stop();
  director = await startStandInDirector({
    address: '127.0.68.10',
    auth: { type: 'basic', user: 'admin', password: 'director-secret' },
    deployments: {
      example: { fleet: example.fleet, manifestText: await readFile(example.manifest, 'utf8') },
      plain: { fleet: plain.fleet, manifestText: plain.manifestText },
      broken: { fleet: broken.fleet, manifestText: broken.manifestText },
    },
  });
  flags = ['deployment', '--target', director.url, '--username', 'admin', '--ca-cert', director.caPath, '--all-deployments'];
}, 120_000);

afterAll(async () => {
  await director?.stop();
  for (const fleet of fleets) await fleet.stop();
});

describe('--all-deployments', () => {
  it('backs up every deployment with backup scripts into its own directory, one summary, exit codes ORed', async () => {
    const target = await tempArtifactsDir();
    const result = await runBbrTs([...flags, 'backup', '-a', target], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/backup --all-deployments: 1 ok, 1 skipped, 1 failed/);
    expect(result.stdout).toMatch(new RegExp(`^  broken +FAILED \\(exit 1\\)$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^  example +ok  ${target}/example_\\d{8}T\\d{6}Z$`, 'm'));
    expect(result.stdout).toMatch(/^  plain +skipped: no backup scripts$/m);
    // The failure is explained under its deployment's name.
    expect(result.stderr).toMatch(/\[broken\]\n1 error\(s\) occurred:\nerror 1: cannot connect to broken\/0 at 127\.0\.68\.41:2222/);
    const dirs = await readdir(target);
    expect(dirs.filter((d) => d.startsWith('example_') && !d.includes('.'))).toHaveLength(1);
    expect(dirs.some((d) => d.startsWith('plain'))).toBe(false);
    expect((await readdir(path.join(target, dirs.find((d) => d.startsWith('example_'))!))).sort()).toEqual(['database-0-database.tar', 'metadata', 'web-0-web-server.tar', 'web-1-web-server.tar']);
    // Every deployment got its own user, and every user is gone.
    const setups = director.requests.filter((r) => r.path.endsWith('/ssh') && r.body.includes('"setup"')).map((r) => JSON.parse(r.body) as { deployment_name: string; params: { user: string } });
    expect(new Set(setups.map((s) => s.deployment_name))).toEqual(new Set(['example', 'plain', 'broken']));
    expect(new Set(setups.map((s) => s.params.user)).size).toBe(3);
    expect(await director.usersLeft()).toEqual([]);
  });

  it('is refused with restore, as in BBR', async () => {
    const result = await runBbrTs([...flags, 'restore', '-a', '/nonexistent'], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/--all-deployments works with pre-backup-check, backup, backup-cleanup only/);
  });
});

// Issue 11, items 2 and 7: names that become local paths (deployment, instance group, job) and local I/O that
// fails half-way, against real sshd instances (127.0.42.21-23). `evil/0` plays the compromised instance: the
// test gives it job directories with hostile names. A bad name is refused before anything is locked; a local
// write failing during the drain takes the normal failure path (unlock, cleanup, `.failed`, summary) and the
// honest instances' artifacts stay intact.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { REPO_ROOT, runBbrTs, startBbrTs } from '../support/cli.js';
import { craftedJobsDir, writeCraftedJob } from '../support/crafted-jobs.js';
import { fleetFlags } from '../support/deployments.js';
import { pidsRunning, waitForEvent } from '../support/faults.js';

const MANIFEST = `name: names
instance_groups:
- name: database
  instances: 1
  jobs: [{name: database, release: example-release}]
  networks: [{name: default, static_ips: [127.0.42.21]}]
- name: web
  instances: 1
  jobs: [{name: web-server, release: example-release}]
  networks: [{name: default, static_ips: [127.0.42.22]}]
- name: evil
  instances: 1
  jobs: [{name: plain, release: evil-release}]
  networks: [{name: default, static_ips: [127.0.42.23]}]
`;

let fleet: Fleet;
let manifest: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-names-'));
  manifest = path.join(work, 'manifest.yml');
  await writeFile(manifest, MANIFEST);
  fleet = await startFleet({ manifestPath: manifest, jobsDir: await craftedJobsDir({ plain: 'plain' }) });
});
afterAll(async () => {
  await fleet?.stop();
});
beforeEach(async () => {
  await fleet.clearEvents();
  await fleet.clearFaults();
  // Job directories a test added on the hostile instance go away again.
  const jobs = path.join(fleet.instance('evil/0').dir, 'jobs');
  for (const job of await readdir(jobs)) if (job !== 'plain') await rm(path.join(jobs, job), { recursive: true, force: true });
  // A test that fails must not block the next ones with leftovers.
  for (const instance of fleet.instances) {
    await rm(path.join(instance.dir, 'store', 'bbr-backup'), { recursive: true, force: true });
    await rm(path.join(instance.dir, 'sys', 'run'), { recursive: true, force: true });
  }
});

/** Flags for a manifest with the fleet's addresses, `edit` applied to its text. */
async function flagsFor(edit: (text: string) => string = (t) => t): Promise<string[]> {
  const file = path.join(await mkdtemp(path.join(work, 'manifest-')), 'manifest.yml');
  await writeFile(file, edit(MANIFEST));
  return fleetFlags(fleet, file);
}

/** Gives the hostile instance one more job directory, with scripts that record events as 'extra'. */
async function addHostileJob(name: string): Promise<void> {
  await writeCraftedJob(path.join(fleet.instance('evil/0').dir, 'jobs', name), 'extra');
}

/** Only `metadata` ran anywhere: nothing was locked, backed up or written to an instance. */
async function expectNothingTouched(): Promise<void> {
  for (const instance of fleet.instances) {
    const scripts = (await fleet.events(instance.name)).map((e) => e.script).filter((s) => s !== 'metadata');
    expect(scripts, instance.name).toEqual([]);
    expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup')), instance.name).toBe(false);
  }
}

/** Every path under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('a job name from an instance that cannot become a file name', () => {
  it('is refused before anything is locked when <group>-<index>-<job>.tar would exceed 255 bytes', async () => {
    const long = 'j'.repeat(250);
    await addHostileJob(long);
    const artifacts = await mkdtemp(path.join(work, 'artifacts-'));
    const summary = path.join(work, `summary-long-${Date.now()}.json`);
    const result = await runBbrTs(['deployment', ...(await flagsFor()), 'backup', '-a', artifacts, '--summary-json', summary]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`job '${long}' on evil/0 cannot be backed up: its artifact file name evil-0-${long}\\.tar cannot be used: it is 261 bytes long; at most 255 are allowed`));
    expect(result.stderr).not.toMatch(/internal error|ENAMETOOLONG/);
    await expectNothingTouched();
    expect(await readdir(artifacts)).toEqual([]);
    expect(JSON.parse(await readFile(summary, 'utf8'))).toMatchObject({ exitCode: 1 });
  });

  it('is refused when it holds a control character, and shown escaped', async () => {
    await addHostileJob('ev\x1b[2Jil');
    const artifacts = await mkdtemp(path.join(work, 'artifacts-'));
    const result = await runBbrTs(['deployment', ...(await flagsFor()), 'backup', '-a', artifacts]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('instance evil/0 has a job directory named "ev\\x1b[2Jil", which cannot be used as a job name: it contains a control character');
    expect(result.stderr + result.stdout).not.toContain('\x1b');
    await expectNothingTouched();
    expect(await readdir(artifacts)).toEqual([]);
  });
});

describe('a local write failing during the drain', () => {
  it('unlocks, cleans up, keeps a .failed directory with the honest artifacts intact and writes the summary', async () => {
    const artifacts = await mkdtemp(path.join(work, 'artifacts-'));
    const summary = path.join(work, `summary-eisdir-${Date.now()}.json`);
    // The job runs on this host (the fleet shares the file system), so it can put a directory where the
    // database artifact will be written: opening the tar for writing then fails with EISDIR.
    await fleet.setFault('database/0', 'database', 'backup', `for d in ${artifacts}/*.partial; do mkdir "$d/database-0-database.tar"; done`);
    const result = await runBbrTs(['deployment', ...(await flagsFor()), 'backup', '-a', artifacts, '--summary-json', summary]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cannot write the artifact of job 'database' on database\/0 to .*database-0-database\.tar: (EEXIST|EISDIR)/);
    expect(result.stderr).toMatch(/next step: /);
    expect(result.stderr).not.toMatch(/internal error/);
    for (const instance of fleet.instances) {
      const unlocks = (await fleet.events(instance.name)).filter((e) => e.script === 'post-backup-unlock');
      expect(unlocks.map((e) => e.fields.successful), instance.name).toEqual(['true']);
      expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup')), instance.name).toBe(false);
    }
    const [failed, ...others] = await readdir(artifacts);
    expect(others).toEqual([]);
    expect(failed).toMatch(/^names_\d{8}T\d{6}Z\.failed$/);
    // The honest instances' artifacts were drained whole: the directory verifies except for the database one.
    const dir = path.join(artifacts, failed!);
    const metadata = await readFile(path.join(dir, 'metadata'), 'utf8');
    expect(metadata).toContain('- name: web-server');
    expect(metadata).not.toContain('- name: database');
    const listed = await execa('tar', ['-tf', path.join(dir, 'web-0-web-server.tar')]);
    expect(listed.stdout.split('\n')).toContain('./uploads/1.txt');
    expect(JSON.parse(await readFile(summary, 'utf8'))).toMatchObject({ exitCode: 1 });
  });
});

describe('an error no code path handles (a bug) in the middle of a backup', () => {
  it('stops the run as an interrupt would: unlocks, cleans up, keeps no good backup and exits 1', async () => {
    const artifacts = await mkdtemp(path.join(work, 'artifacts-'));
    const summary = path.join(work, `summary-bug-${Date.now()}.json`);
    await fleet.setFault('database/0', 'database', 'backup', 'sleep 6042');
    const run = startBbrTs(['deployment', ...(await flagsFor()), 'backup', '-a', artifacts, '--summary-json', summary], {
      env: { NODE_OPTIONS: `--import=${path.join(REPO_ROOT, 'test', 'support', 'inject-bug.mjs')}` },
    });
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    await new Promise((r) => setTimeout(r, 300));
    run.kill('SIGUSR2');
    const result = await run;

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/internal error: injected bug \(this is a bug in bbr-ts/);
    expect(result.stderr).toMatch(/the run was stopped by an internal error: injected bug/);
    for (const instance of fleet.instances) {
      const unlocks = (await fleet.events(instance.name)).filter((e) => e.script === 'post-backup-unlock');
      expect(unlocks.map((e) => e.fields.successful), instance.name).toEqual(['false']);
      expect(existsSync(path.join(instance.dir, 'store', 'bbr-backup')), instance.name).toBe(false);
    }
    expect(await pidsRunning(['sleep', '6042'])).toEqual([]);
    expect(await readdir(artifacts)).toEqual([expect.stringMatching(/^names_\d{8}T\d{6}Z\.failed$/)]);
    expect(JSON.parse(await readFile(summary, 'utf8'))).toMatchObject({ exitCode: 1 });
  });
});

describe('names from the manifest or the flags', () => {
  it('refuses an instance group containing / before connecting', async () => {
    const artifacts = await mkdtemp(path.join(work, 'artifacts-'));
    const result = await runBbrTs(['deployment', ...(await flagsFor((t) => t.replace('- name: web\n', '- name: web/x\n'))), 'backup', '-a', artifacts]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/instance_groups\[1\] name "web\/x" cannot be used: it contains '\/'/);
    expect(result.stderr).not.toMatch(/internal error/);
    for (const instance of fleet.instances) expect(await fleet.events(instance.name), instance.name).toEqual([]);
    expect(await readdir(artifacts)).toEqual([]);
  });

  const ESCAPES = [
    { what: "the manifest's name", edit: (t: string) => t.replace('name: names', 'name: ../../X'), args: [], message: /deployment name "\.\.\/\.\.\/X" cannot be used: it contains '\/'/ },
    { what: '--deployment', edit: (t: string) => t, args: ['--deployment', '../../X'], message: /--deployment "\.\.\/\.\.\/X" cannot be used: it contains '\/'/ },
    { what: 'an instance group', edit: (t: string) => t.replace('- name: web\n', '- name: ../../X\n'), args: [], message: /instance_groups\[1\] name "\.\.\/\.\.\/X" cannot be used: it contains '\/'/ },
  ];
  it.each(ESCAPES)('refuses $what that would write outside --artifact-path', async ({ edit, args, message }) => {
    const root = await mkdtemp(path.join(work, 'escape-'));
    const artifacts = path.join(root, 'a', 'b');
    await mkdir(artifacts, { recursive: true });
    const flags = await flagsFor(edit);
    const result = await runBbrTs(['deployment', ...flags, ...args, 'backup', '-a', artifacts]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(await tree(root)).toEqual(['a', 'a/b']);
    await expectNothingTouched();
  });
});

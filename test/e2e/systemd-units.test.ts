// Issue 16, schedules: the contrib/systemd units are valid for systemd (systemd-analyze verify, when installed),
// the timer fires at 00:00 and 12:00 and catches up missed runs, and the service's own command line, run with the
// environment its EnvironmentFile gives, does backup -> verify -> prune (-> drill) against a real fleet
// (127.0.72.21-23), exiting with the status of the first step that fails. The Concourse example runs the same
// script. What systemd itself adds (starting the unit) is not run here: there is no systemd as PID 1.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { BIN, REPO_ROOT } from '../support/cli.js';
import { tempArtifactsDir, useExampleFleet } from '../support/deployments.js';

const UNITS = path.join(REPO_ROOT, 'contrib', 'systemd');
const SCRIPT = path.join(UNITS, 'bbr-ts-scheduled-run');
const INSTALLED_SCRIPT = '/usr/local/lib/bbr-ts/bbr-ts-scheduled-run';

let fleet: Fleet;
let manifest: string;

useExampleFleet('127.0.72', (started) => ({ fleet, manifest } = started));

/** `Key=value` lines of one section of a unit file (repeated keys kept in order). */
function unitSection(text: string, section: string): [string, string][] {
  const lines = text.split('\n');
  const start = lines.indexOf(`[${section}]`);
  expect(start, `[${section}] section`).toBeGreaterThanOrEqual(0);
  const out: [string, string][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('[')) break;
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.push([m[1]!, m[2]!]);
  }
  return out;
}

const value = (pairs: [string, string][], key: string) => pairs.filter(([k]) => k === key).map(([, v]) => v);

/** systemd's EnvironmentFile syntax as the example uses it: KEY=value, '#' comments, value is the rest of the line. */
function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

let analyze: boolean;
beforeAll(async () => {
  analyze = (await execa('systemd-analyze', ['--version'], { reject: false })).exitCode === 0;
  if (!analyze) console.warn('systemd-analyze is not installed (apt-get install systemd): the unit files are not verified by systemd');
});

describe('contrib/systemd units', () => {
  it('systemd-analyze verify accepts the service and the timer', async (context) => {
    if (!analyze) context.skip();
    const dir = await tempArtifactsDir('bbr-ts-units-');
    const service = (await readFile(path.join(UNITS, 'bbr-ts-backup@.service'), 'utf8'))
      // Where the units expect the script and the settings once installed, pointed at this checkout.
      .replace(`ExecStart=${INSTALLED_SCRIPT}`, `ExecStart=${SCRIPT}`)
      .replace('EnvironmentFile=/etc/bbr-ts/%i.env', `EnvironmentFile=${dir}/%i.env`);
    await writeFile(path.join(dir, 'bbr-ts-backup@.service'), service);
    await writeFile(path.join(dir, 'bbr-ts-backup@.timer'), await readFile(path.join(UNITS, 'bbr-ts-backup@.timer')));
    await writeFile(path.join(dir, 'cf.env'), await readFile(path.join(UNITS, 'bbr-ts.env.example')));
    const result = await execa('systemd-analyze', ['verify', path.join(dir, 'bbr-ts-backup@cf.service'), path.join(dir, 'bbr-ts-backup@cf.timer')], { reject: false });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('the timer fires at 00:00 and 12:00, catches up missed runs, and starts the service', async (context) => {
    const timer = unitSection(await readFile(path.join(UNITS, 'bbr-ts-backup@.timer'), 'utf8'), 'Timer');
    expect(value(timer, 'OnCalendar')).toEqual(['*-*-* 00,12:00:00']);
    expect(value(timer, 'Persistent')).toEqual(['true']);
    expect(value(timer, 'Unit')).toEqual(['bbr-ts-backup@%i.service']);
    if (!analyze) context.skip();
    const calendar = await execa('systemd-analyze', ['calendar', '--iterations', '4', value(timer, 'OnCalendar')[0]!], { env: { TZ: 'UTC' } });
    const times = [...calendar.stdout.matchAll(/(?:Next elapse|Iter\. #\d): \w+ [\d-]+ (\d\d:\d\d:\d\d)/g)].map((m) => m[1]);
    expect(times).toHaveLength(4);
    expect(new Set(times)).toEqual(new Set(['00:00:00', '12:00:00']));
  });

  describe("the service's command line, with its EnvironmentFile", () => {
    let command: string;
    beforeAll(async () => {
      const service = unitSection(await readFile(path.join(UNITS, 'bbr-ts-backup@.service'), 'utf8'), 'Service');
      expect(value(service, 'Type')).toEqual(['oneshot']);
      expect(value(service, 'EnvironmentFile')).toEqual(['/etc/bbr-ts/%i.env']);
      expect(value(service, 'ExecStart')).toEqual([INSTALLED_SCRIPT]);
      command = SCRIPT;
    });

    /** Seeds ARTIFACT_PATH with old backups of the deployment, then runs the ExecStart line as systemd would. */
    async function runService(extra: Record<string, string> = {}) {
      const artifacts = await tempArtifactsDir();
      for (const name of ['example_20250101T000000Z', 'example_20250102T000000Z', 'example_20250103T000000Z.failed']) {
        await mkdir(path.join(artifacts, name));
        await writeFile(path.join(artifacts, name, 'metadata'), 'instances: []\n');
      }
      const runtimeDir = await tempArtifactsDir('bbr-ts-runtime-');
      // The example environment file with this fleet's values, in systemd's syntax.
      const example = parseEnvironmentFile(await readFile(path.join(UNITS, 'bbr-ts.env.example'), 'utf8'));
      expect(Object.keys(example).sort()).toEqual(['ARTIFACT_PATH', 'BACKUP_FLAGS', 'BBR_TS_KNOWN_HOSTS', 'BBR_TS_MANIFEST', 'BBR_TS_PRIVATE_KEY_PATH', 'BBR_TS_USERNAME', 'PRUNE_KEEP']);
      const envFile = Object.entries({
        ...example,
        BBR_TS_MANIFEST: manifest,
        BBR_TS_USERNAME: 'root',
        BBR_TS_PRIVATE_KEY_PATH: fleet.privateKeyPath,
        BBR_TS_KNOWN_HOSTS: fleet.knownHostsPath,
        BBR_TS_SSH_PORT: String(fleet.port),
        ARTIFACT_PATH: artifacts,
        PRUNE_KEEP: '--keep-last 1 --keep-daily 2',
        BBRTS_COMMAND: `node ${BIN}`,
        ...extra,
      })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n');
      const env = { PATH: process.env.PATH!, RUNTIME_DIRECTORY: runtimeDir, NO_COLOR: '1', ...parseEnvironmentFile(envFile) };
      const result = await execa(command, [], { env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 180_000 });
      return { result, artifacts, runtimeDir };
    }

    it('backup -> verify -> prune: a new whole backup, the old ones pruned by the policy, exit 0', async () => {
      const { result, artifacts, runtimeDir } = await runService();
      expect(result.stderr).not.toMatch(/FAILED|error/);
      expect(result.exitCode).toBe(0);
      const steps = [...result.stderr.matchAll(/^bbr-ts scheduled run: (\w+)/gm)].map((m) => m[1]);
      expect(steps).toEqual(['backup', 'verify', 'prune', 'done']);
      const left = (await readdir(artifacts)).sort();
      // --keep-last 1 --keep-daily 2: the new backup (last #1, daily #1) and 2 January (daily #2).
      expect(left).toHaveLength(2);
      expect(left[0]).toBe('example_20250102T000000Z');
      expect(left[1]).toMatch(/^example_\d{8}T\d{6}Z$/);
      expect(result.stdout).toContain(`${left[1]}: whole`);
      expect(result.stdout).toContain('example_20250101T000000Z: removed (not kept by any rule)');
      expect(result.stdout).toContain('example_20250103T000000Z.failed: removed (failed, older than the newest complete backup)');
      // The run summary is removed from the runtime directory when the run ends.
      expect(await readdir(runtimeDir)).toEqual([]);
    });

    it('a failed backup stops the run with its exit status: no verify, no prune', async () => {
      await fleet.setFault('database/0', 'database', 'backup', 'echo disk on fire >&2; exit 3');
      const { result, artifacts } = await runService();
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('bbr-ts scheduled run: backup FAILED (exit status 1); later steps skipped');
      expect(result.stderr).not.toContain('scheduled run: verify');
      expect(result.stderr).not.toContain('scheduled run: prune');
      // Prune did not run: the old backups are all there, next to the failed one.
      const left = (await readdir(artifacts)).sort();
      expect(left.slice(0, 3)).toEqual(['example_20250101T000000Z', 'example_20250102T000000Z', 'example_20250103T000000Z.failed']);
      expect(left[3]).toMatch(/^example_\d{8}T\d{6}Z\.failed$/);
    });

    it('with DRILL_MANIFEST the new backup is also drilled; a failing check fails the run with the drill\'s status', async () => {
      const passed = await runService({ DRILL_MANIFEST: manifest, DRILL_VERIFY: 'true' });
      expect(passed.result.exitCode).toBe(0);
      expect(passed.result.stderr).toMatch(/^bbr-ts scheduled run: drill /m);
      const failed = await runService({ DRILL_MANIFEST: manifest, DRILL_VERIFY: 'exit 7' });
      expect(failed.result.stderr).toMatch(/^bbr-ts scheduled run: drill FAILED \(exit status \d+\); later steps skipped$/m);
      expect(failed.result.exitCode).not.toBe(0);
    });

    it('refuses to start without ARTIFACT_PATH or PRUNE_KEEP, before any backup', async () => {
      await fleet.clearEvents();
      const { result } = await runService({ PRUNE_KEEP: '' });
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/PRUNE_KEEP: is not set/);
      for (const instance of fleet.instances) expect(await fleet.events(instance.name)).toEqual([]);
    });
  });
});

describe('contrib/concourse/pipeline.yml', () => {
  it('runs the same script on a twice-a-day trigger, one build at a time', async () => {
    const pipeline = parse(await readFile(path.join(REPO_ROOT, 'contrib', 'concourse', 'pipeline.yml'), 'utf8'));
    const timer = pipeline.resources.find((r: { type: string }) => r.type === 'time');
    expect(timer.source).toEqual({ interval: '12h' });
    const [job] = pipeline.jobs;
    expect(job.serial).toBe(true);
    expect(job.plan[0].in_parallel).toContainEqual({ get: timer.name, trigger: true });
    const task = job.plan[1];
    expect(task.config.run.args.at(-1)).toContain('exec bbr-ts/contrib/systemd/bbr-ts-scheduled-run');
    expect(Object.keys(task.config.params)).toEqual(expect.arrayContaining(['ARTIFACT_PATH', 'PRUNE_KEEP', 'BBRTS_COMMAND']));
  });
});

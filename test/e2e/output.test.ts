// Issue 7 end to end: what an operator and a pipeline see from a run of the built CLI against the example
// deployment as real sshd instances (127.0.7.21-23): plain lines, JSON logs, --summary-json, --dry-run,
// environment variables, completion and --version.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let manifest: string;
let flags: string[];

useExampleFleet('127.0.7', (started) => ({ fleet, manifest, flags } = started));

const tmp = (prefix: string) => mkdtemp(path.join(os.tmpdir(), `bbr-ts-${prefix}-`));

async function scriptsRun(): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const instance of fleet.instances) result[instance.name] = (await fleet.events(instance.name)).map((e) => e.script);
  return result;
}

describe('non-TTY output', () => {
  it('prints one stable line per event, then the summary table with the longest lock marked', async () => {
    const artifacts = await tmp('artifacts');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toMatch(/\x1b\[/); // no escape codes in a pipe
    const [events, table] = result.stdout.split('\n\nSummary: ');
    const lines = events!.split('\n');
    // Every event line carries a UTC time stamp; strip it and the durations to compare the stable part.
    expect(lines.every((l) => /^\[\d{2}:\d{2}:\d{2}\] /.test(l))).toBe(true);
    const stable = lines.map((l) => l.slice(11).replace(/\d+\.\d+s/g, 'Ns').replace(/run [0-9a-f-]{36}/, 'run ID'));
    expect(stable[0]).toBe("backup of deployment 'example' started (3 instance(s), run ID)");
    const inOrder = [
      'check: started',
      'lock: started (3 job(s))',
      'web/0 web-server: pre-backup-lock done in Ns',
      'database/0 database: pre-backup-lock started',
      'backup: started (3 job(s))',
      'unlock: started (3 job(s))',
      'database/0 database: post-backup-unlock done in Ns',
      'web/1 web-server: was locked for Ns',
      'drain: started (3 job(s))',
      'database/0 database: database-0-database.tar transferred, 1.0 MiB in 4 file(s), Ns',
      'cleanup: started (3 instance(s))',
      'cleanup: finished in Ns',
    ];
    let at = -1;
    for (const line of inOrder) {
      const found = stable.indexOf(line, at + 1);
      expect(found, line).toBeGreaterThan(at);
      at = found;
    }
    expect(stable.at(-1)).toMatch(/^backup succeeded in Ns; artifact: .*\/example_\d{8}T\d{6}Z$/);

    expect(table).toMatch(/^backup of 'example' succeeded in \d/);
    const rows = table!.split('\n');
    expect(rows[1]).toMatch(/^instance\s+job\s+locked\s+backup\s+drain\s+size\s+result$/);
    expect(rows.slice(2, 5).map((r) => r.split(/\s+/).slice(0, 2).join(' '))).toEqual(['database/0 database', 'web/0 web-server', 'web/1 web-server']);
    expect(rows.filter((r) => r.includes('<= longest lock'))).toHaveLength(1);
    // web-server locks first and unlocks last, so one of its instances holds the longest lock window.
    expect(rows.find((r) => r.includes('<= longest lock'))).toMatch(/^web\/[01]\s+web-server\s+\d+\.\d+s\s+\d+\.\d+s\s+\d+\.\d+s\s+10\.0 KiB\s+ok\s+<= longest lock$/);
    expect(table).toMatch(/Longest lock: web\/[01] web-server, \d+\.\d+s/);
    expect(table).toMatch(/Artifact: .*example_\d{8}T\d{6}Z \(3 file\(s\), 1\.0 MiB\)/);
  });
});

describe('JSON logs', () => {
  it('writes one pino JSON object per line to stderr with run id, instance, job, step, duration and bytes', async () => {
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', await tmp('artifacts'), '--log-format', 'json']);
    expect(result.exitCode).toBe(0);
    const entries = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThan(10);
    const runId = entries[0]!.runId;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    for (const entry of entries) {
      expect(entry).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String), runId, name: 'bbr-ts' });
    }
    expect(entries.some((e) => e.level === 'debug')).toBe(false); // info by default
    const script = entries.find((e) => e.msg === 'script finished' && e.step === 'backup' && e.instance === 'database/0');
    expect(script).toMatchObject({ job: 'database', durationMs: expect.any(Number), deployment: 'example' });
    const transfer = entries.find((e) => e.msg === 'transfer finished' && e.instance === 'web/1');
    expect(transfer).toMatchObject({ job: 'web-server', step: 'drain', bytes: 10240, durationMs: expect.any(Number) });
    expect(entries.filter((e) => e.msg === 'lock window')).toHaveLength(3);
    expect(entries.at(-1)).toMatchObject({ msg: 'run finished', exitCode: 0 });
    // Human output stays on stdout.
    expect(result.stdout).toMatch(/Summary: backup of 'example' succeeded/);
  });

  it('logs failures with the error fields, at --debug to a --log-file, and keeps stderr for the error report', async () => {
    await fleet.setFault('web/0', 'web-server', 'pre-backup-lock', 'echo "lock refused" >&2; exit 3');
    const logFile = path.join(await tmp('log'), 'nested', 'run.log');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', await tmp('artifacts'), '--log-format', 'json', '--log-file', logFile, '--debug']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/error\(s\) occurred/);
    const entries = (await readFile(logFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    expect(entries.some((e) => e.level === 'debug' && e.msg === 'script started')).toBe(true);
    const failed = entries.find((e) => e.msg === 'script failed');
    expect(failed).toMatchObject({ level: 'error', instance: 'web/0', job: 'web-server', step: 'pre-backup-lock' });
    expect(failed!.error.message).toMatch(/lock refused/);
    expect(entries.find((e) => e.msg === 'failure')!.error).toMatchObject({ code: expect.any(String), exitBit: 4 });
    expect(entries.at(-1)).toMatchObject({ msg: 'run finished', level: 'error', exitCode: 4 });
  });
});

describe('--summary-json', () => {
  it('writes the result of a successful run', async () => {
    const file = path.join(await tmp('summary'), 'summary.json');
    const artifacts = await tmp('artifacts');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts, '--summary-json', file]);
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(await readFile(file, 'utf8'));
    const [dir] = await readdir(artifacts);
    expect(summary).toMatchObject({
      schemaVersion: 1,
      runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      operation: 'backup',
      deployment: 'example',
      status: 'succeeded',
      exitCode: 0,
      artifactPath: path.join(artifacts, dir!),
      artifactBytes: 1054720 + 2 * 10240,
      errors: [],
      longestLock: { instance: expect.stringMatching(/^web\//), job: 'web-server', durationMs: expect.any(Number) },
    });
    expect(summary.jobs).toEqual([
      expect.objectContaining({ instance: 'database/0', job: 'database', result: 'ok', artifactFile: 'database-0-database.tar', artifactBytes: 1054720 }),
      expect.objectContaining({ instance: 'web/0', job: 'web-server', result: 'ok', artifactFile: 'web-0-web-server.tar' }),
      expect.objectContaining({ instance: 'web/1', job: 'web-server', result: 'ok', artifactFile: 'web-1-web-server.tar' }),
    ]);
    for (const job of summary.jobs) {
      expect(job).toMatchObject({ lockedMs: expect.any(Number), backupMs: expect.any(Number), drainMs: expect.any(Number) });
      expect(job.lockedMs).toBeGreaterThanOrEqual(job.backupMs);
    }
  });

  it('writes the result of a failed run: status, exit code, the failed job and the error', async () => {
    await fleet.setFault('database/0', 'database', 'backup', 'echo "disk full" >&2; exit 1');
    const file = path.join(await tmp('summary'), 'summary.json');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', await tmp('artifacts'), '--summary-json', file]);
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(await readFile(file, 'utf8'));
    expect(summary).toMatchObject({ status: 'failed', exitCode: 1, operation: 'backup' });
    expect(summary.artifactPath, JSON.stringify(summary) + result.stdout + result.stderr).toMatch(/\.failed$/);
    const database = summary.jobs.find((j: { job: string }) => j.job === 'database');
    expect(database).toMatchObject({ result: 'failed', failedScripts: ['backup'], lockedMs: expect.any(Number) });
    expect(summary.errors).toEqual([expect.objectContaining({ exitBit: 1, message: expect.stringMatching(/disk full/) })]);
    // Jobs were still unlocked, and the table says which one failed.
    expect(result.stdout).toMatch(/database\/0\s+database\s+.*failed \(backup\)/);
  });

  it('is written when the run cannot even start', async () => {
    const file = path.join(await tmp('summary'), 'summary.json');
    const result = await runBbrTs(['deployment', ...flags.map((f) => (f === manifest ? '/nonexistent/manifest.yml' : f)), 'backup', '--summary-json', file]);
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(await readFile(file, 'utf8'));
    expect(summary).toMatchObject({ status: 'failed', exitCode: 1, jobs: [], errors: [expect.objectContaining({ message: expect.stringMatching(/manifest/) })] });
  });
});

describe('backup --dry-run', () => {
  it('prints the plan and runs no lock, backup or unlock script', async () => {
    const artifacts = await tmp('artifacts');
    const summaryFile = path.join(await tmp('summary'), 'plan.json');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts, '--dry-run', '--summary-json', summaryFile]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      [
        "Plan: backup of deployment 'example' (dry run: no lock, backup or unlock script runs)",
        '  1. pre-backup-lock, one wave after the other (jobs within a wave in parallel):',
        '     wave 1: web/0 web-server, web/1 web-server',
        '     wave 2: database/0 database',
        '  2. backup on every job at once (up to --parallelism):',
        '     database/0 database -> database-0-database.tar',
        '     web/0 web-server -> web-0-web-server.tar',
        '     web/1 web-server -> web-1-web-server.tar',
        '  3. post-backup-unlock, in reverse lock order (always, once a lock was attempted):',
        '     wave 1: database/0 database',
        '     wave 2: web/0 web-server, web/1 web-server',
      ].join('\n'),
    );
    expect(result.stdout).toMatch(new RegExp(`4\\. drain every artifact into ${artifacts}/example_\\d{8}T\\d{6}Z/`));
    expect(result.stdout).toMatch(/backup \(dry run\) succeeded/);
    // Checked on the instances themselves: only metadata scripts ran, and nothing was written locally.
    expect(await scriptsRun()).toEqual({ 'database/0': ['metadata'], 'web/0': ['metadata'], 'web/1': ['metadata'] });
    expect(await readdir(artifacts)).toEqual([]);
    // Pipelines get the plan as data.
    const summary = JSON.parse(await readFile(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ dryRun: true, status: 'succeeded', plan: { lockScript: 'pre-backup-lock', mainJobs: expect.any(Array) } });
    expect(summary.plan.lockWaves).toEqual([
      [{ instance: 'web/0', job: 'web-server' }, { instance: 'web/1', job: 'web-server' }],
      [{ instance: 'database/0', job: 'database' }],
    ]);
  });
});

describe('environment, completion and version', () => {
  it('takes connection flags from BBR_TS_* environment variables', async () => {
    const result = await runBbrTs(['deployment', '--ssh-port', String(fleet.port), 'pre-backup-check'], {
      env: {
        BBR_TS_MANIFEST: manifest,
        BBR_TS_USERNAME: 'root',
        BBR_TS_PRIVATE_KEY_PATH: fleet.privateKeyPath,
        BBR_TS_KNOWN_HOSTS: fleet.knownHostsPath,
      },
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/pre-backup-check succeeded/);
  });

  it('prints a shell completion script', async () => {
    const result = await runBbrTs(['completion']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/bbr-ts/);
    expect(result.stdout).toMatch(/complete -o/);
    const words = await runBbrTs(['--get-yargs-completions', 'bbr-ts', 'deployment', '--manifest', 'm.yml', '']);
    expect(words.stdout.split('\n')).toEqual(expect.arrayContaining(['backup', 'pre-backup-check']));
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await runBbrTs(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});

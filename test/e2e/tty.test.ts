// Issue 7: a backup run under a pseudo-terminal (util-linux `script`), as an operator at a terminal sees
// it: the live view renders (steps, drain progress with ETA), then the summary table; no error, no stack.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { BIN, REPO_ROOT } from '../support/cli.js';
import { EXAMPLE_MANIFEST, fleetFlags } from '../support/deployments.js';
import { shellCommand } from '../../src/ssh/quote.js';

let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  // The example deployment on 127.0.17.21-23 (output.test.ts uses 127.0.7.x).
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-tty-'));
  const manifest = path.join(dir, 'manifest.yml');
  await writeFile(manifest, (await readFile(EXAMPLE_MANIFEST, 'utf8')).replaceAll('127.0.0.', '127.0.17.'));
  fleet = await startFleet({ manifestPath: manifest });
  flags = fleetFlags(fleet, manifest);
});
afterAll(async () => {
  await fleet?.stop();
});

/** Runs the CLI with stdout on a pseudo-terminal; returns what the terminal received. */
async function underPty(args: string[], env: Record<string, string> = {}) {
  const command = shellCommand(['node', BIN, ...args]);
  const result = await execa('script', ['-qec', `stty cols 120 rows 40; ${command}`, '/dev/null'], {
    reject: false,
    cwd: REPO_ROOT,
    env: { ...env, TERM: 'xterm-256color' },
    stdin: 'ignore',
    timeout: 60_000,
  });
  return { exitCode: result.exitCode, output: result.stdout + result.stderr };
}

const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

it('renders the live view and the summary table', async () => {
  const artifacts = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-tty-artifacts-'));
  const result = await underPty(['deployment', ...flags, 'backup', '-a', artifacts]);
  expect(result.exitCode, result.output).toBe(0);
  const text = plain(result.output);
  // The live frame: title, instance groups, instances with their step, and drain progress.
  expect(result.output).toMatch(/\x1b\[2K/); // redrawn in place
  expect(text).toMatch(/backup of 'example'\s+\d+:\d{2}/);
  expect(text).toMatch(/^database$/m);
  expect(text).toMatch(/^web$/m);
  expect(text).toMatch(/^ {2}web\/1\s+(lock|backup|unlock|drain|done)\s+web-server/m);
  expect(text).toMatch(/ETA (\d+:\d{2}|--:--)/);
  expect(text).toMatch(/^ {2}database\/0\s+done\s+database\s+1\.0 MiB in \d+\.\d+s$/m);
  // The summary table, the longest lock marked, and colour on a terminal.
  expect(text).toMatch(/Summary: backup of 'example' succeeded/);
  expect(text).toMatch(/^instance\s+job\s+locked\s+backup\s+drain\s+size\s+result$/m);
  expect(text).toContain('<= longest lock');
  expect(result.output).toMatch(/\x1b\[32msucceeded/);
  // No plain event lines, errors or stack traces.
  expect(text).not.toMatch(/^\[\d{2}:\d{2}:\d{2}\] /m);
  expect(text).not.toMatch(/error|\n\s+at /i);
});

it('prints line-per-event output on a terminal with --no-progress, and no colour with NO_COLOR', async () => {
  const artifacts = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-tty-artifacts-'));
  const result = await underPty(['deployment', ...flags, 'backup', '-a', artifacts, '--no-progress'], { NO_COLOR: '1' });
  expect(result.exitCode, result.output).toBe(0);
  expect(result.output).not.toMatch(/\x1b\[/);
  expect(plain(result.output)).toMatch(/^\[\d{2}:\d{2}:\d{2}\] backup succeeded/m);
  expect(plain(result.output)).toMatch(/Summary: backup of 'example' succeeded/);
});

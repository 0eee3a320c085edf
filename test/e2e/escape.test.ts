// Issue 11 items 1 and 10 end to end: a hostile instance (a script writing ESC/OSC/CSI, C1 and bidi
// characters to stderr, a job directory with an ESC in its name) and a crafted artifact directory never get a
// raw control character onto the operator's terminal or into the text log; they show escaped (`\x1b`). Names
// with control characters are refused (item 7, test/e2e/hostile-names.test.ts); the refusals show them escaped. Log
// files and --summary-json hold script output and are created 0600. The example deployment runs on
// 127.0.30.21-23.
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { shellCommand } from '../../src/ssh/quote.js';
import { buildBbrArtifact } from '../support/artifacts.js';
import { BIN, REPO_ROOT, runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.30', (started) => ({ fleet, flags } = started));

const tmp = (prefix: string) => mkdtemp(path.join(os.tmpdir(), `bbr-ts-escape-${prefix}-`));

// Retitles the window, clears the screen and writes "All good" at the start of the line (OSC, CSI, CR), then
// the same with a C1 CSI (U+009B) and a right-to-left override (U+202E), which survive JSON.stringify.
// stdout gets a cursor-up and erase-line, which would overwrite the report's own lines.
const HOSTILE_STDERR = String.raw`printf 'fine\033[1A\033[2K\n'; printf 'boom\n\033]0;pwned\007\033[2J All good\r\n\302\2332J\342\200\256evil\n' >&2; exit 1`;
const ESCAPED_STDERR = String.raw`\x1b]0;pwned\x07\x1b[2J All good\r`;
const EVIL_JOB = 'evil\x1b]0;pwned\x07';
const ESCAPED_JOB = String.raw`evil\x1b]0;pwned\x07`;

/** Any character a terminal acts on, except newline (and tab): none may come from bbr-ts's human output. */
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
/** The hostile sequences themselves, for output that legitimately holds our own escape codes (the live view). */
const RAW_HOSTILE = /\x1b\]|\x07|\x1b\[2J|\u009b|\u202e/;

/** Installs a job with a backup script on web/1 whose directory name holds an OSC sequence. */
async function installEvilJob(): Promise<string> {
  const dir = path.join(fleet.instance('web/1').dir, 'jobs', EVIL_JOB);
  await mkdir(path.join(dir, 'bin', 'bbr'), { recursive: true });
  const script = path.join(dir, 'bin', 'bbr', 'backup');
  await writeFile(script, '#!/bin/sh\nset -eu\nmkdir -p "$BBR_ARTIFACT_DIRECTORY"\necho hello > "$BBR_ARTIFACT_DIRECTORY/hello"\n');
  await chmod(script, 0o755);
  return dir;
}

let evilJobDir: string | undefined;
afterEach(async () => {
  if (evilJobDir) await rm(evilJobDir, { recursive: true, force: true });
  evilJobDir = undefined;
});

/** Runs the CLI with stdout and stderr on a pseudo-terminal (util-linux `script`); returns what the terminal received. */
async function underPty(args: string[]) {
  const command = shellCommand(['node', BIN, ...args]);
  const result = await execa('script', ['-qec', `stty cols 120 rows 40; ${command}`, '/dev/null'], {
    reject: false,
    cwd: REPO_ROOT,
    env: { TERM: 'xterm-256color' },
    stdin: 'ignore',
    timeout: 60_000,
  });
  return { exitCode: result.exitCode, output: result.stdout + result.stderr };
}

describe('a script writing terminal escapes to stderr', () => {
  it('shows them escaped in plain lines, the error report and the --debug text log; log file and summary are 0600', async () => {
    await fleet.setFault('database/0', 'database', 'backup', HOSTILE_STDERR);
    const out = await tmp('out');
    const logFile = path.join(out, 'logs', 'bbr.log');
    const summaryFile = path.join(out, 'summary', 'summary.json');
    const result = await runBbrTs([
      'deployment', ...flags, 'backup', '-a', await tmp('artifacts'),
      '--debug', '--log-format', 'text', '--log-file', logFile, '--summary-json', summaryFile,
    ]);
    expect(result.exitCode, result.stderr).toBe(1);
    const log = await readFile(logFile, 'utf8');
    for (const [what, text] of [['stdout', result.stdout], ['stderr', result.stderr], ['log', log]] as const) {
      expect(text, what).not.toMatch(RAW_CONTROL);
    }
    // The error report names the failure and shows the stderr tail, escaped, indented under it.
    expect(result.stderr).toMatch(/^error 1: backup script of job 'database' on database\/0 exited with status 1$/m);
    expect(result.stderr).toContain(`      ${ESCAPED_STDERR}\n`);
    expect(result.stderr).toContain(String.raw`      \x9b2J\u{202e}evil`);
    expect(result.stderr).toContain(String.raw`      fine\x1b[1A\x1b[2K`);
    // The text log keeps one line per entry; the C1 and bidi characters JSON.stringify leaves alone are escaped.
    expect(log).toMatch(/ERROR script failed .*All good/);
    expect(log).toContain(String.raw`\x9b2J\u{202e}evil`);
    // Item 10: both files hold script output, so only the operator may read them.
    expect((await stat(logFile)).mode & 0o777).toBe(0o600);
    expect((await stat(summaryFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(summaryFile, 'utf8'))).toMatchObject({ status: 'failed', exitCode: 1 });
  });

  it('never reaches a terminal raw: the live view and the error report show the escaped text', async () => {
    await fleet.setFault('database/0', 'database', 'backup', HOSTILE_STDERR);
    const result = await underPty(['deployment', ...flags, 'backup', '-a', await tmp('artifacts')]);
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).toMatch(/\x1b\[2K/); // the live view did render, with its own escape codes
    expect(result.output).not.toMatch(RAW_HOSTILE);
    expect(result.output).toContain(ESCAPED_STDERR);
  });

  it('a job directory name refused for its control characters shows escaped on a terminal too', async () => {
    evilJobDir = await installEvilJob();
    const result = await underPty(['deployment', ...flags, 'backup', '-a', await tmp('artifacts')]);
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).not.toMatch(RAW_HOSTILE);
    expect(result.output).toContain(ESCAPED_JOB);
  });
});

describe('a job directory named with an OSC sequence', () => {
  it('never reaches plain output, the error report or the text log raw', async () => {
    evilJobDir = await installEvilJob();
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', await tmp('artifacts'), '--debug', '--log-format', 'text']);
    // Whatever the run does with such a job (back it up or refuse it), the name shows escaped, never raw.
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stdout + result.stderr).toContain(ESCAPED_JOB);
  });
});

describe('a crafted artifact directory', () => {
  async function craft(): Promise<string> {
    const original = await buildBbrArtifact();
    const dir = path.join(path.dirname(original), 'ex\x1b[2Jample_20190227T101030Z');
    await rename(original, dir);
    const metadata = path.join(dir, 'metadata');
    const text = (await readFile(metadata, 'utf8'))
      .replace('- name: web\n  index: "0"', '- name: "web\\e]0;pwned\\a"\n  index: "0"')
      .replace('- name: web\n  index: "1"\n  artifacts:\n  - name: web-server', '- name: web\n  index: "1"\n  artifacts:\n  - name: "web-server\\u202E\\x9b2J"');
    await writeFile(metadata, text);
    // The first hostile name has its tar (verify checks it); the second has none (verify names it as missing).
    await rename(path.join(dir, 'web-0-web-server.tar'), path.join(dir, 'web\x1b]0;pwned\x07-0-web-server.tar'));
    return dir;
  }

  // Names in metadata that hold control characters are refused (issue 11 item 7); the refusal shows them escaped.
  it('artifact show refuses the names, showing them escaped', async () => {
    const dir = await craft();
    const result = await runBbrTs(['artifact', 'show', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stderr).toContain(String.raw`instances[0] name "web\x1b]0;pwned\x07" cannot be used: it contains a control character`);
    expect(result.stderr).toContain(String.raw`ex\x1b[2Jample_20190227T101030Z`);
  });

  it('artifact verify prints its verdict and the error report escaped', async () => {
    const dir = await craft();
    const result = await runBbrTs(['artifact', 'verify', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stdout).toContain(String.raw`ex\x1b[2Jample_20190227T101030Z: NOT whole`);
    expect(result.stderr).toContain(String.raw`instances[0] name "web\x1b]0;pwned\x07" cannot be used: it contains a control character`);
  });
});

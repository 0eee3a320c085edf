// A run that stops making progress (a bug: every pending step waits on something that never happens) must not
// end with exit status 0. bbr-ts's main module awaits the run at top level and is loaded by bin/bbr-ts.js with
// a dynamic import, so Node, finding its event loop empty, would exit 0 without a word. Real Node processes:
// the same stall with and without main's guard (dist/cli/exit.js, built by the e2e global setup).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

const EXIT_MODULE = path.join(REPO_ROOT, 'dist', 'cli', 'exit.js');
// Loaded the way bin/bbr-ts.js loads main: a dynamic import of a module whose top-level await never settles.
const stall = (guarded: boolean) => `
  const { guardUnfinishedRun } = await import(${JSON.stringify(EXIT_MODULE)});
  ${guarded ? 'const finished = guardUnfinishedRun(process, process.stderr);' : ''}
  await new Promise(() => {});
`;

async function runStalled(guarded: boolean) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-stall-'));
  try {
    await writeFile(path.join(dir, 'main.mjs'), stall(guarded));
    await writeFile(path.join(dir, 'bin.mjs'), "import('./main.mjs');\n");
    return await execa(process.execPath, [path.join(dir, 'bin.mjs')], { reject: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it('without the guard, Node ends a stalled run with status 0 (the hole)', async () => {
  const result = await runStalled(false);
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toBe('');
});

it('with the guard, a stalled run is an internal error with the generic failure bit', async () => {
  const result = await runStalled(true);
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toMatch(/^internal error: the run stopped before it finished, with nothing left to wait for \(this is a bug in bbr-ts/);
});

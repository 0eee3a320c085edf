// Builds dist/ once so e2e tests run the real `bin/bbr-ts.js`, as an operator would, and gives the run one
// temporary folder (TMPDIR, inherited by the test workers) that is removed at the end: fleets, artifacts
// and databases of a run do not pile up in /tmp.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../support/cli.js';

export default async function setup(): Promise<() => Promise<void>> {
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const runTmp = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-e2e-'));
  // The non-root sudo test's user (reading the fleet's authorized_keys) and PostgreSQL's user pass through it.
  await chmod(runTmp, 0o711);
  process.env.TMPDIR = runTmp;
  return async () => {
    // Keep the folder when asked, for looking at what a failing test left behind.
    if (process.env.BBR_TS_KEEP_TEST_TMP) return;
    await rm(runTmp, { recursive: true, force: true }).catch((error: Error) => console.warn(`could not remove ${runTmp}: ${error.message}`));
  };
}

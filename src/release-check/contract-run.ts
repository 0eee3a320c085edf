// Runs a job's scripts locally in contract order (bbr-contract.md §3.2, §3.4): lock, backup, unlock, then
// lock, restore from what backup wrote, unlock; each unlock twice, because BBR may run it again (after a
// failure, from backup-cleanup) and it must then succeed too. Lock-only jobs (no backup script) get their
// lock and unlock runs all the same. A scratch folder (scratch-location.ts) stands in for the VM's
// /var/vcap/store/bbr-backup/<job>/.
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CONTRACT_SCRIPTS, type ScriptName } from '../contract/paths.js';
import { describeStep, runLocalScript, stepSucceeded, type LocalRunOptions } from './run-local-script.js';
import type { CheckResult, ScriptStep } from './types.js';

export interface ContractRunOptions {
  bbrDir: string;
  job: string;
  scripts: ReadonlySet<ScriptName>;
  extraEnv: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Where the scratch folder goes (scratch-location.ts). */
  scratchParent: string;
  /** Keep the scratch folder for inspection instead of removing it. */
  keepScratch: boolean;
}

export interface ContractRunResult {
  checks: CheckResult[];
  /** The scratch folder, when kept. */
  scratchDir?: string;
  /** What backup got as $BBR_ARTIFACT_DIRECTORY (removed afterwards unless kept). */
  backupArtifactDir: string;
}

const LOCK_ONLY = 'no backup script (a lock-only job): BBR still runs its lock and unlock scripts, and so does job test';

export async function contractRun(options: ContractRunOptions): Promise<ContractRunResult> {
  const scratch = await mkdtemp(path.join(options.scratchParent, `bbr-ts-job-test-${options.job}-`));
  const backupDir = path.join(scratch, 'backup', 'bbr-backup', options.job) + '/';
  const restoreDir = path.join(scratch, 'restore', 'bbr-backup', options.job) + '/';
  const cwd = path.join(scratch, 'cwd');
  await mkdir(backupDir, { recursive: true });
  await mkdir(cwd);
  const checks: CheckResult[] = [];
  const has = (script: ScriptName) => options.scripts.has(script);
  const run = (script: ScriptName, env: Record<string, string>, check: string = script) =>
    runStep(checks, options, { script, env, check, cwd });
  try {
    const artifactEnv = (dir: string) => ({ BBR_ARTIFACT_DIRECTORY: dir, ARTIFACT_DIRECTORY: dir });
    // The script names and their order come from the contract, as in the orchestrator's plan.
    const backupSteps = CONTRACT_SCRIPTS.backup;
    const restoreSteps = CONTRACT_SCRIPTS.restore;
    // Backup: lock, backup, unlock twice. A job without a backup script still gets its lock and unlock, as
    // BBR runs the lock scripts of every job of a deployment it backs up.
    const locked = has(backupSteps.lock) ? await run(backupSteps.lock, {}) : true;
    let backedUp = false;
    if (!has(backupSteps.main)) {
      checks.push({ kind: 'run', check: backupSteps.main, status: 'skip', message: LOCK_ONLY });
    } else if (!locked) {
      checks.push({ kind: 'run', check: backupSteps.main, status: 'skip', message: `backup not run: ${backupSteps.lock} failed (BBR stops there too)` });
    } else {
      backedUp = await run(backupSteps.main, artifactEnv(backupDir));
      if (backedUp) await checkWroteSomething(checks, backupDir);
    }
    if (has(backupSteps.unlock)) {
      // BBR tells unlock whether the backup step succeeded; for a lock-only job that is its lock.
      const env = { BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: String(has(backupSteps.main) ? backedUp : locked) };
      await run(backupSteps.unlock, env);
      await run(backupSteps.unlock, env, `${backupSteps.unlock}-idempotent`);
    }
    // Restore: lock, restore from what backup wrote (an empty artifact too, as BBR would), unlock twice.
    const restoreLocked = has(restoreSteps.lock) ? await run(restoreSteps.lock, {}) : true;
    if (!has(restoreSteps.main)) {
      checks.push({ kind: 'run', check: restoreSteps.main, status: 'skip', message: 'no restore script' });
    } else if (!backedUp) {
      checks.push({ kind: 'run', check: restoreSteps.main, status: 'skip', message: has(backupSteps.main) ? 'restore not run: the backup step did not produce an artifact' : 'restore not run: there is no backup script to produce an artifact' });
    } else if (!restoreLocked) {
      checks.push({ kind: 'run', check: restoreSteps.main, status: 'skip', message: `restore not run: ${restoreSteps.lock} failed` });
    } else {
      // On a VM, BBR uploads the artifact into a fresh directory of the same name before restore.
      await cp(backupDir, restoreDir, { recursive: true, preserveTimestamps: true });
      await run(restoreSteps.main, artifactEnv(restoreDir));
    }
    if (has(restoreSteps.unlock)) {
      await run(restoreSteps.unlock, {});
      await run(restoreSteps.unlock, {}, `${restoreSteps.unlock}-idempotent`);
    }
    return { checks, scratchDir: options.keepScratch ? scratch : undefined, backupArtifactDir: backupDir };
  } finally {
    if (!options.keepScratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function runStep(
  checks: CheckResult[],
  options: ContractRunOptions,
  step: { script: ScriptName; env: Record<string, string>; check: string; cwd: string },
): Promise<boolean> {
  const local: LocalRunOptions = { env: step.env, extraEnv: options.extraEnv, cwd: step.cwd, timeoutMs: options.timeoutMs, signal: options.signal };
  const { step: result } = await runLocalScript(path.join(options.bbrDir, step.script), local);
  const ok = stepSucceeded(result);
  const again = step.check.endsWith('-idempotent');
  checks.push({
    kind: 'run',
    check: step.check,
    status: ok ? 'pass' : 'fail',
    script: step.script,
    message: again
      ? `${step.script} run a second time ${describeStep(result)}${ok ? ' (idempotent)' : ': it is not idempotent'}`
      : `${step.script} ${describeStep(result)} in ${result.durationMs} ms`,
    hint: ok ? undefined : hintFor(step.script, again, result),
    step: result,
  });
  return ok;
}

function hintFor(script: ScriptName, again: boolean, step: ScriptStep): string {
  if (again) return `BBR runs ${script} again after failures and from the cleanup commands; make a second run a no-op that exits 0`;
  if (step.timedOut) return `${script} ran longer than --timeout; a VM running it would keep the job locked as long`;
  if (step.exitCode === null && !step.signal) return `check the executable bit and the shebang line of bin/bbr/${script}`;
  return `see the output above; the script must exit 0 when it succeeds (any other status fails the whole ${script.includes('restore') ? 'restore' : 'backup'})`;
}

/**
 * Writing nothing is legitimate (release_level_backup: false, the default of several real releases, makes
 * backup a no-op), so it only warns; a folder counts as output (bosh's and capi's blobstores back up an
 * empty store/ folder, which restore needs).
 */
async function checkWroteSomething(checks: CheckResult[], dir: string): Promise<void> {
  const { files, folders } = await countEntries(dir);
  if (files + folders > 0) {
    checks.push({ kind: 'run', check: 'backup-wrote-files', status: 'pass', script: 'backup', message: `backup wrote ${files} file(s) and ${folders} folder(s) into $BBR_ARTIFACT_DIRECTORY` });
    return;
  }
  checks.push({
    kind: 'run',
    check: 'backup-wrote-files',
    status: 'warn',
    script: 'backup',
    message: 'backup succeeded but wrote nothing into $BBR_ARTIFACT_DIRECTORY',
    hint: 'fine when this job has nothing to back up as configured (e.g. release_level_backup: false); otherwise write the backup into "$BBR_ARTIFACT_DIRECTORY" (it ends with a slash): anything written elsewhere is not collected',
  });
}

async function countEntries(dir: string): Promise<{ files: number; folders: number }> {
  let files = 0;
  let folders = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory()) folders++;
    else files++;
  }
  return { files, folders };
}

// Runs a job's scripts locally in contract order (bbr-contract.md §3.2, §3.4): lock, backup, unlock, then
// restore from what backup wrote, then unlock; each unlock twice, because BBR may run it again (after a
// failure, from backup-cleanup) and it must then succeed too. A scratch folder stands in for the VM's
// /var/vcap/store/bbr-backup/<job>/.
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ScriptName } from '../contract/paths.js';
import { describeStep, runLocalScript, stepSucceeded, type LocalRunOptions } from './run-local-script.js';
import type { CheckResult, ScriptStep } from './types.js';

export interface ContractRunOptions {
  bbrDir: string;
  job: string;
  scripts: ReadonlySet<ScriptName>;
  extraEnv: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Keep the scratch folder for inspection instead of removing it. */
  keepScratch: boolean;
}

export async function contractRun(options: ContractRunOptions): Promise<{ checks: CheckResult[]; scratchDir?: string }> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), `bbr-ts-job-test-${options.job}-`));
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
    if (!has('backup')) {
      checks.push({ kind: 'run', check: 'backup', status: 'skip', message: 'no backup script: nothing to run (restore is skipped too, as there is nothing to restore from)' });
      return { checks };
    }
    const artifactEnv = (dir: string) => ({ BBR_ARTIFACT_DIRECTORY: dir, ARTIFACT_DIRECTORY: dir });
    const locked = has('pre-backup-lock') ? await run('pre-backup-lock', {}) : true;
    const backedUp = locked && (await run('backup', artifactEnv(backupDir)));
    const wroteFiles = backedUp && (await checkWroteSomething(checks, backupDir));
    if (has('post-backup-unlock')) {
      const env = { BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: String(backedUp) };
      await run('post-backup-unlock', env);
      await run('post-backup-unlock', env, 'post-backup-unlock-idempotent');
    }
    if (!has('restore')) {
      checks.push({ kind: 'run', check: 'restore', status: 'skip', message: 'no restore script' });
    } else if (!wroteFiles) {
      checks.push({ kind: 'run', check: 'restore', status: 'skip', message: 'restore not run: the backup step did not produce an artifact' });
    } else {
      // On a VM, BBR uploads the artifact into a fresh directory of the same name before restore.
      await cp(backupDir, restoreDir, { recursive: true, preserveTimestamps: true });
      const restoreLocked = has('pre-restore-lock') ? await run('pre-restore-lock', {}) : true;
      if (restoreLocked) await run('restore', artifactEnv(restoreDir));
      if (has('post-restore-unlock')) {
        await run('post-restore-unlock', {});
        await run('post-restore-unlock', {}, 'post-restore-unlock-idempotent');
      }
    }
    return { checks, scratchDir: options.keepScratch ? scratch : undefined };
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

async function checkWroteSomething(checks: CheckResult[], dir: string): Promise<boolean> {
  const files = await countFiles(dir);
  checks.push(
    files > 0
      ? { kind: 'run', check: 'backup-wrote-files', status: 'pass', script: 'backup', message: `backup wrote ${files} file(s) into $BBR_ARTIFACT_DIRECTORY` }
      : { kind: 'run', check: 'backup-wrote-files', status: 'fail', script: 'backup', message: 'backup succeeded but wrote nothing into $BBR_ARTIFACT_DIRECTORY', hint: 'write the backup into "$BBR_ARTIFACT_DIRECTORY" (it ends with a slash); anything written elsewhere is not collected' },
  );
  return files > 0;
}

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (!entry.isDirectory()) count++;
  return count;
}

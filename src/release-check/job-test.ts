// `bbr-ts job test JOB_DIR`: lint a job's bin/bbr/ scripts and run them locally in contract order, so a
// release author learns about contract mistakes before a deployment does.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { contractRun } from './contract-run.js';
import { lintMetadata } from './lint-metadata.js';
import { lintScripts } from './lint-scripts.js';
import { chooseScratchLocation } from './scratch-location.js';
import type { JobTestReport, OnlyChecks } from './types.js';

export interface JobTestOptions {
  jobDir: string;
  only: OnlyChecks;
  /** bbr-ts's own version (BBR_TS_VERSION); BBR_VERSION is the BBR release bbr-ts follows. */
  bbrTsVersion: string;
  /** `NAME=VALUE` stand-ins passed to every script (e.g. where rendered templates keep their data). */
  extraEnv: Record<string, string>;
  timeoutMs: number;
  /** Where to create the scratch folder; default: scratch-location.ts. */
  scratchDir?: string;
  keepScratch: boolean;
  signal: AbortSignal;
}

export async function testJob(options: JobTestOptions): Promise<JobTestReport> {
  const jobDir = path.resolve(options.jobDir);
  const bbrDir = await findBbrDir(jobDir);
  // On a VM the job name is the folder under /var/vcap/jobs/; here, the folder holding bin/bbr/.
  const job = path.basename(path.resolve(bbrDir, '..', '..'));
  const lint = await lintScripts(bbrDir);
  const checks = [...lint.checks];
  const run = { extraEnv: options.extraEnv, cwd: bbrDir, timeoutMs: options.timeoutMs, signal: options.signal };
  // metadata runs even for `--only run`: whether the job is disabled decides what runs at all.
  const metadata = lint.scripts.has('metadata') ? await lintMetadata(bbrDir, job, options.bbrTsVersion, run) : undefined;
  if (metadata) checks.push(...metadata.checks);
  let scratch: JobTestReport['scratch'];
  if (options.only !== 'lint') {
    if (metadata?.skipBbrScripts) {
      checks.push({ kind: 'run', check: 'skipped', status: 'skip', script: 'metadata', message: 'not run: metadata sets skip_bbr_scripts: true, so BBR runs none of this job\'s other scripts' });
    } else {
      const location = await chooseScratchLocation(path.resolve(bbrDir, '..', '..'), options.scratchDir);
      const result = await contractRun({ bbrDir, job, scripts: lint.scripts, extraEnv: options.extraEnv, timeoutMs: options.timeoutMs, signal: options.signal, scratchParent: location.parent, keepScratch: options.keepScratch });
      checks.push(...result.checks);
      scratch = { artifactDirectory: result.backupArtifactDir, reason: location.reason, kept: result.scratchDir };
    }
  }
  const selected = options.only === undefined ? checks : checks.filter((c) => c.kind === options.only);
  return { job, jobDir, passed: selected.every((c) => c.status !== 'fail'), checks: selected, scratch };
}

/** Accepts the job folder (holding bin/bbr/) or bin/bbr/ itself. */
async function findBbrDir(jobDir: string): Promise<string> {
  for (const candidate of [path.join(jobDir, 'bin', 'bbr'), jobDir]) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isDirectory() && (candidate !== jobDir || path.basename(jobDir) === 'bbr')) return candidate;
  }
  throw new UsageError(`${jobDir} has no bin/bbr/ folder`, {
    hint: 'point bbr-ts job test at a job folder as it is installed on a VM (/var/vcap/jobs/<job>/, with templates rendered), which holds bin/bbr/<script>',
  });
}

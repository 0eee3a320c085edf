// Runs the job's `metadata` script as BBR does during discovery (BBR_VERSION set, contract §2.2) and checks
// what it prints against the schema, with the reason for every problem.
import path from 'node:path';
import { metadataEnv } from '../contract/bbr-version.js';
import { METADATA_KEYS, parseJobMetadata } from '../contract/metadata.js';
import { MetadataError } from '../errors.js';
import { closestName } from './edit-distance.js';
import { describeStep, runLocalScript, stepSucceeded, type LocalRunOptions } from './run-local-script.js';
import type { CheckResult } from './types.js';

const DEPRECATED_KEYS: Readonly<Record<string, string>> = {
  backup_name: 'discontinued in BBR: it is ignored at backup time and BBR will not be able to restore the artifact',
  restore_name: 'discontinued in BBR: restore refuses every instance whose job sets it',
};

export interface MetadataLint {
  checks: CheckResult[];
  /** The job is disabled: BBR runs none of its other scripts. */
  skipBbrScripts: boolean;
}

export async function lintMetadata(
  bbrDir: string,
  job: string,
  bbrTsVersion: string,
  run: Omit<LocalRunOptions, 'env'>,
): Promise<MetadataLint> {
  const env = metadataEnv(bbrTsVersion);
  const { step, stdout } = await runLocalScript(path.join(bbrDir, 'metadata'), { ...run, env });
  const base = { kind: 'lint' as const, script: 'metadata' };
  if (!stepSucceeded(step)) {
    return { checks: [{ ...base, check: 'metadata-runs', status: 'fail', step, message: `metadata ${describeStep(step)}`, hint: 'BBR runs metadata before every command; if it fails, the whole deployment cannot be backed up or restored' }], skipBbrScripts: false };
  }
  const checks: CheckResult[] = [{ ...base, check: 'metadata-runs', status: 'pass', step, message: `metadata succeeded in ${step.durationMs} ms` }];
  // BBR parses stdout only; stderr is free for logs.
  let parsed;
  try {
    parsed = parseJobMetadata(stdout, { job, instance: 'this machine' });
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    checks.push({ ...base, check: 'metadata-schema', status: 'fail', message: `metadata ${error.problem}`, hint: 'print YAML of the documented schema to stdout (scripts-contract/README.md#metadata); send logs to stderr' });
    return { checks, skipBbrScripts: false };
  }
  for (const key of parsed.unknownKeys) {
    const meant = closestName(key, METADATA_KEYS.filter((k) => !(k in DEPRECATED_KEYS)));
    checks.push({ ...base, check: 'metadata-keys', status: 'fail', message: `metadata prints unknown key '${key}'${meant ? `: did you mean '${meant}'?` : ''}`, hint: `BBR ignores unknown keys silently, so this setting has no effect; known keys: ${METADATA_KEYS.filter((k) => !(k in DEPRECATED_KEYS)).join(', ')}` });
  }
  for (const [key, why] of Object.entries(DEPRECATED_KEYS)) {
    const value = key === 'backup_name' ? parsed.backupName : parsed.restoreName;
    if (value !== undefined) checks.push({ ...base, check: 'metadata-deprecated', status: 'fail', message: `metadata prints deprecated key '${key}': ${why}`, hint: `remove '${key}' (for one artifact shared by all instances use the bbr.backup_one_restore_all job property)` });
  }
  if (parsed.skipBbrScripts) {
    checks.push({ ...base, check: 'metadata-skip', status: 'warn', message: 'metadata sets skip_bbr_scripts: true, so BBR ignores this job entirely (and job test runs none of its other scripts)', hint: 'expected only when the job is deliberately disabled' });
  }
  if (checks.length === 1) checks.push({ ...base, check: 'metadata-schema', status: 'pass', message: 'metadata prints valid metadata' });
  return { checks, skipBbrScripts: parsed.skipBbrScripts };
}

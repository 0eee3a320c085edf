// Static checks of a job's bin/bbr/ folder, as BBR will see it on a VM: which files it will run
// (exact names only, contract §2.1), and whether each can run at all (executable bit, shebang).
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isScriptName, SCRIPT_NAMES, type ScriptName } from '../contract/paths.js';
import { closestName } from './edit-distance.js';
import type { CheckResult } from './types.js';

export interface ScriptLint {
  checks: CheckResult[];
  /** Known scripts present in the folder, whatever their lint status. */
  scripts: Set<ScriptName>;
}

const ELF_MAGIC = '\x7fELF';

export async function lintScripts(bbrDir: string): Promise<ScriptLint> {
  const checks: CheckResult[] = [];
  const scripts = new Set<ScriptName>();
  const entries = (await readdir(bbrDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const file = path.join(bbrDir, entry.name);
    if (!isScriptName(entry.name)) {
      checks.push(unknownName(entry.name));
      continue;
    }
    const info = await stat(file);
    if (!info.isFile()) {
      checks.push({ kind: 'lint', check: 'script-is-file', status: 'fail', script: entry.name, message: `${entry.name} is not a regular file`, hint: 'BBR only runs regular files in bin/bbr/' });
      continue;
    }
    scripts.add(entry.name);
    checks.push(
      (info.mode & 0o111) !== 0
        ? { kind: 'lint', check: 'script-executable', status: 'pass', script: entry.name, message: `${entry.name} is executable` }
        : { kind: 'lint', check: 'script-executable', status: 'fail', script: entry.name, message: `${entry.name} is not executable (mode ${(info.mode & 0o777).toString(8)})`, hint: `chmod +x bin/bbr/${entry.name} (BOSH templates: set the file mode in the job spec); sudo refuses to run it otherwise` },
    );
    checks.push(await shebangCheck(file, entry.name));
  }
  checks.push(...presenceChecks(scripts));
  return { checks, scripts };
}

function unknownName(name: string): CheckResult {
  const meant = closestName(name, SCRIPT_NAMES);
  if (meant) {
    return { kind: 'lint', check: 'script-name', status: 'fail', script: name, message: `unknown script name '${name}': did you mean '${meant}'?`, hint: `rename it to bin/bbr/${meant}; BBR only runs files with exact contract names and silently ignores '${name}'` };
  }
  return { kind: 'lint', check: 'script-name', status: 'warn', script: name, message: `'${name}' is not a contract script name; BBR ignores it`, hint: `contract names: ${SCRIPT_NAMES.join(', ')}` };
}

async function shebangCheck(file: string, script: string): Promise<CheckResult> {
  const head = await readHead(file, 256);
  const base = { kind: 'lint' as const, check: 'script-shebang', script };
  if (head.startsWith(ELF_MAGIC)) return { ...base, status: 'pass', message: `${script} is a binary` };
  if (!head.startsWith('#!')) {
    return { ...base, status: 'fail', message: `${script} has no shebang line`, hint: `start it with e.g. '#!/bin/bash'; BBR runs it directly (sudo <path>), so the kernel needs the #! line to know its interpreter` };
  }
  const line = head.split('\n')[0]!;
  if (line.endsWith('\r')) {
    return { ...base, status: 'fail', message: `${script} has Windows line endings (the shebang ends with a carriage return)`, hint: `convert it to Unix line endings (dos2unix bin/bbr/${script})` };
  }
  return { ...base, status: 'pass', message: `${script} starts with ${line}` };
}

async function readHead(file: string, bytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}

/** Pairs that only make sense together: a lock without its unlock leaves the job locked after every run. */
function presenceChecks(scripts: ReadonlySet<ScriptName>): CheckResult[] {
  const checks: CheckResult[] = [];
  if (scripts.size === 0) {
    checks.push({ kind: 'lint', check: 'scripts-present', status: 'fail', message: 'bin/bbr/ holds no contract script, so BBR ignores this job', hint: `add at least backup and restore (contract names: ${SCRIPT_NAMES.join(', ')})` });
  }
  const pairs: [ScriptName, ScriptName, 'fail' | 'warn', string][] = [
    ['pre-backup-lock', 'post-backup-unlock', 'fail', 'the job would stay locked after every backup'],
    ['pre-restore-lock', 'post-restore-unlock', 'fail', 'the job would stay locked after every restore'],
    ['backup', 'restore', 'warn', 'what backup saves can never be restored by BBR'],
    ['restore', 'backup', 'warn', 'restore has nothing of this job to restore from'],
  ];
  for (const [present, missing, status, why] of pairs) {
    if (scripts.has(present) && !scripts.has(missing)) {
      checks.push({ kind: 'lint', check: 'script-pairs', status, script: missing, message: `${present} is present but ${missing} is not: ${why}`, hint: `add bin/bbr/${missing}` });
    }
  }
  return checks;
}

// Finds each job's BBR scripts on an instance (bbr-contract.md §2.1): one remote `find`, classified locally.
import { ConnectionError } from '../errors.js';
import type { RemoteShell } from '../ssh/index.js';
import { asRootShell } from './as-root.js';
import { IGNORED_JOB_NAMES, isScriptName, JOBS_ROOT, type ScriptName } from './paths.js';

export interface DiscoveredJob {
  name: string;
  scripts: Set<ScriptName>;
}

// The glob is expanded by the remote shell; no match leaves it literal and find reports it missing.
const FIND_SCRIPTS = `find ${JOBS_ROOT}/*/bin/bbr/* -type f 2>&1 || true`;

export async function discoverScripts(shell: RemoteShell, signal?: AbortSignal): Promise<DiscoveredJob[]> {
  const result = await shell.exec(asRootShell(shell, FIND_SCRIPTS), { signal });
  if (result.exitCode !== 0) {
    throw new ConnectionError(`finding scripts failed on ${shell.instance}: ${result.stderrTail.trim() || `exit ${result.exitCode}`}`, {
      hint: 'check that the SSH user can run commands as root (passwordless sudo) on the instance',
    });
  }
  return classifyScriptPaths(result.stdout.split('\n'));
}

/** Turns `find` output into jobs; unknown names, ignored jobs and error lines are skipped. */
export function classifyScriptPaths(lines: readonly string[]): DiscoveredJob[] {
  const jobs = new Map<string, DiscoveredJob>();
  const pattern = new RegExp(`^${JOBS_ROOT}/([^/]+)/bin/bbr/([^/]+)$`);
  for (const line of lines) {
    const match = pattern.exec(line.trim());
    if (!match) continue;
    const [, job, script] = match as unknown as [string, string, string];
    if (!isScriptName(script) || IGNORED_JOB_NAMES.has(job)) continue;
    let entry = jobs.get(job);
    if (!entry) jobs.set(job, (entry = { name: job, scripts: new Set() }));
    entry.scripts.add(script);
  }
  return [...jobs.values()].sort((a, b) => a.name.localeCompare(b.name));
}

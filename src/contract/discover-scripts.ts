// Finds each job's BBR scripts on an instance (bbr-contract.md §2.1): one remote `find`, classified locally,
// which also reports a leftover artifact root (§2.5) so no extra SSH command is needed for that check.
import { PreconditionError, RemoteCommandError } from '../errors.js';
import { NAME_HINT, nameProblem, quoteName } from '../names.js';
import { CAPTURE_LIMIT_TEXT, succeeded, whyFailed, type RemoteShell } from '../ssh/index.js';
import { asRootShell } from './as-root.js';
import { IGNORED_JOB_NAMES, isScriptName, JOBS_ROOT, REMOTE_ARTIFACT_ROOT, type ScriptName } from './paths.js';

export interface DiscoveredJob {
  name: string;
  scripts: Set<ScriptName>;
}

/** What one look at an instance finds: its jobs' scripts, and whether an earlier run left its artifact root. */
export interface DiscoveredInstance {
  jobs: DiscoveredJob[];
  /** REMOTE_ARTIFACT_ROOT exists: an earlier run did not finish (backup and restore refuse to start). */
  artifactRootExists: boolean;
}

const ARTIFACT_ROOT_MARKER = '#artifact-root-exists';

// The glob is expanded by the remote shell; no match leaves it literal and find reports it missing. The
// leftover check rides along (BBR spends a separate SSH command on it): one channel per instance, not two.
const DISCOVER = `{ find ${JOBS_ROOT}/*/bin/bbr/* -type f 2>&1 || true; }; if [ -e ${REMOTE_ARTIFACT_ROOT} ]; then echo '${ARTIFACT_ROOT_MARKER}'; fi`;

export async function discoverInstance(shell: RemoteShell, signal?: AbortSignal): Promise<DiscoveredInstance> {
  const result = await shell.exec(asRootShell(shell, DISCOVER), { signal });
  if (!succeeded(result)) {
    throw new RemoteCommandError(`finding scripts failed on ${shell.instance}: ${whyFailed(result)}`, {
      hint: result.timedOut
        ? `check ${shell.instance} (a hung disk or \`find\`?); raise --command-timeout if it is only slow`
        : 'check that the SSH user can run commands as root (passwordless sudo) on the instance',
    });
  }
  // A cut listing would silently leave out the jobs after the cut.
  if (result.stdoutTruncated) {
    throw new RemoteCommandError(`finding scripts on ${shell.instance} printed more than ${CAPTURE_LIMIT_TEXT}; bbr-ts will not guess which jobs it has`, {
      hint: `look at what \`find ${JOBS_ROOT}/*/bin/bbr/* -type f\` prints on ${shell.instance}: a job should ship a few scripts`,
    });
  }
  const lines = result.stdout.split('\n');
  const jobs = classifyScriptPaths(lines);
  // A job's directory name becomes a local file name and part of remote paths. The instance chooses it, and a
  // compromised one can offer any bytes (a real file system has no '/' in it, but '..'-free, printable and short
  // are not given): refuse the instance, before anything is locked.
  for (const job of jobs) {
    const refused = nameProblem(job.name);
    if (refused) {
      throw new PreconditionError(`instance ${shell.instance} has a job directory named ${quoteName(job.name)}, which cannot be used as a job name: ${refused}`, {
        hint: `remove or rename that directory under ${JOBS_ROOT} on ${shell.instance} (if nobody put it there, the instance may be compromised); ${NAME_HINT}`,
      });
    }
  }
  return { jobs, artifactRootExists: lines.includes(ARTIFACT_ROOT_MARKER) };
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

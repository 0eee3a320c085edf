// Where BBR's contract puts things on an instance (bbr-contract.md §2.1, §2.5).

export const SCRIPT_NAMES = [
  'metadata',
  'pre-backup-lock',
  'backup',
  'post-backup-unlock',
  'pre-restore-lock',
  'restore',
  'post-restore-unlock',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** Which way a run goes: backup locks, backs up, unlocks; restore locks, restores, unlocks. */
export type Direction = 'backup' | 'restore';

/** The contract's order for each direction (bbr-contract.md §3.2, §3.4): the orchestrator and `job test` follow it. */
export const CONTRACT_SCRIPTS: Readonly<Record<Direction, { lock: ScriptName; main: ScriptName; unlock: ScriptName }>> = {
  backup: { lock: 'pre-backup-lock', main: 'backup', unlock: 'post-backup-unlock' },
  restore: { lock: 'pre-restore-lock', main: 'restore', unlock: 'post-restore-unlock' },
};

/** The step of a run each script belongs to, as reports show it. */
export type ScriptStep = 'metadata' | 'lock' | 'backup' | 'restore' | 'unlock';
const STEP_OF_SCRIPT: Readonly<Record<ScriptName, ScriptStep>> = {
  metadata: 'metadata',
  'pre-backup-lock': 'lock',
  'pre-restore-lock': 'lock',
  backup: 'backup',
  restore: 'restore',
  'post-backup-unlock': 'unlock',
  'post-restore-unlock': 'unlock',
};

/** The step of a script named in an event; undefined for a name that is not a contract script. */
export function stepOfScript(script: string): ScriptStep | undefined {
  return isScriptName(script) ? STEP_OF_SCRIPT[script] : undefined;
}

export const JOBS_ROOT = '/var/vcap/jobs';
export const REMOTE_ARTIFACT_ROOT = '/var/vcap/store/bbr-backup';

/** BBR compat: these legacy job names are ignored entirely (instance/job_finder.go). */
export const IGNORED_JOB_NAMES: ReadonlySet<string> = new Set(['mysql-backup', 'mysql-restore']);

export function isScriptName(name: string): name is ScriptName {
  return (SCRIPT_NAMES as readonly string[]).includes(name);
}

export function scriptPath(job: string, script: ScriptName): string {
  return `${JOBS_ROOT}/${job}/bin/bbr/${script}`;
}

/** The per-job artifact directory; BBR hands it to scripts with a trailing slash. */
export function remoteArtifactDir(job: string): string {
  return `${REMOTE_ARTIFACT_ROOT}/${job}/`;
}

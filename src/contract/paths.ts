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

// The names inside an artifact path, in one place (bbr-contract.md §4.1): the backup folder
// `<deployment>_<YYYYMMDDTHHMMSSZ>` and the tars in it, `<group>-<index>-<job>.tar` for an instance's artifact and
// `<name>.tar` for a custom one. Backup, restore's topology check, verify and the stores all build them here.

/** `<deployment>_<YYYYMMDDTHHMMSSZ>`, the timestamp in UTC. */
export function artifactDirectoryName(deployment: string, time: Date): string {
  const stamp = time.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${deployment}_${stamp}`;
}

/** The deployment and time of a backup from its folder name; undefined for any other name. */
export function parseBackupName(name: string): { deployment: string; time: Date } | undefined {
  const match = /^(.+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name);
  if (!match) return undefined;
  const [, deployment, y, mo, d, h, mi, s] = match;
  return { deployment: deployment!, time: new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!)) };
}

/** `<group>-<index>-<job>.tar`: BBR's file for one instance's artifact of a job. */
export function instanceArtifactFile(group: string, index: number | string, job: string): string {
  return `${group}-${index}-${job}.tar`;
}

/** `<name>.tar`: a custom artifact (backup_one_restore_all, or a job's custom_artifacts). */
export function customArtifactFile(name: string): string {
  return `${name}.tar`;
}

// Whether a backup fits the deployment it is restored into, and what goes where (BBR's restorable check and
// artifact copier: orchestrator/restorable_step.go, backup/backup_directory.go DeploymentMatches,
// orchestrator/artifact_copier.go UploadBackupToDeployment). Pure; every problem is listed at once.
//
// BBR refuses only: a restore_name on a restorable instance, a deployment without restore scripts, and a backed-up
// instance (group, index) the deployment does not have; it then uploads an artifact for every job that has a restore
// script (failing when that artifact is missing) and ignores the rest of the backup. bbr-ts refuses the same cases,
// finds a missing artifact before anything is uploaded, and names every artifact it leaves out.
import { customArtifactFile, instanceArtifactFile } from '../artifact/file-names.js';
import type { ArtifactChecksums, BackupMetadata } from '../artifact/metadata-file.js';
import { PreconditionError, TopologyMismatchError } from '../errors.js';
import type { DeployedJob } from './open-deployment.js';
import { restoreArtifactOf, type JobArtifact } from './plan.js';

type TopologyJob = Pick<
  DeployedJob,
  'name' | 'release' | 'instance' | 'group' | 'index' | 'scripts' | 'metadata' | 'backupOneRestoreAll' | 'bootstrap'
>;

export interface TopologyInput<J extends TopologyJob> {
  deploymentName: string;
  metadata: BackupMetadata;
  /** Every deployed instance (`group/index`), jobs or not, with the jobs that print skip_bbr_scripts. */
  instances: readonly { name: string; disabledJobs: readonly string[] }[];
  jobs: readonly J[];
  /** Custom artifacts listed without files whose tar is absent (Go bbr writes these for mysql-restore). */
  absentArtifacts?: ReadonlySet<string>;
}

/** One upload: the artifact a job with a restore script reads, and what its files must hash to. */
export interface RestoreSource<J> {
  job: J;
  artifact: JobArtifact;
  checksums: ArtifactChecksums;
}

/** An artifact of the backup that nothing restores from, and why. */
export interface SkippedArtifact {
  file: string;
  /** For instance artifacts. */
  instance?: string;
  job?: string;
  reason: string;
}

export interface RestoreMatch<J> {
  failures: PreconditionError[];
  sources: RestoreSource<J>[];
  skipped: SkippedArtifact[];
}

export function matchBackupToDeployment<J extends TopologyJob>(input: TopologyInput<J>): RestoreMatch<J> {
  const { deploymentName, metadata } = input;
  const failures: PreconditionError[] = [];
  const mismatch = (problem: string, hint: string) =>
    failures.push(new TopologyMismatchError(deploymentName, problem, { hint }));
  const restorable = input.jobs.filter((job) => job.scripts.has('restore'));

  // BBR compat: restore_name is refused on instances that have a restore script, whichever job prints it
  // (orchestrator/restorable_step.go over RestorableInstances, jobs.go HasMetadataRestoreNames).
  const restorableInstances = new Set(restorable.map((job) => job.instance));
  for (const job of input.jobs) {
    if (job.metadata.restoreName === undefined || !restorableInstances.has(job.instance)) continue;
    failures.push(
      new PreconditionError(`job ${job.name} on ${job.instance} sets the discontinued metadata key restore_name; bbr cannot restore this backup artifact`, {
        hint: 'upgrade the release to one whose metadata script no longer prints backup_name/restore_name',
      }),
    );
  }
  if (restorable.length === 0) {
    failures.push(new PreconditionError(`deployment '${deploymentName}' has no restore scripts`, { hint: 'check that the jobs ship bin/bbr/restore scripts' }));
  }

  const deployed = new Set(input.instances.map((i) => i.name));
  for (const instance of metadata.instances) {
    const name = `${instance.name}/${instance.index}`;
    if (deployed.has(name)) continue;
    mismatch(
      `the backup has instance ${name}, which the deployment does not have`,
      `restore into a deployment that has every instance the backup has (instance group ${instance.name} with at least ${/^\d+$/.test(instance.index) ? Number(instance.index) + 1 : 'that many'} instance(s)); bbr refuses this too`,
    );
  }

  const sources: RestoreSource<J>[] = [];
  const used = new Set<string>();
  for (const job of restorable) {
    const artifact = restoreArtifactOf(job);
    const checksums = checksumsOf(metadata, job, artifact, input.absentArtifacts);
    if (checksums) {
      sources.push({ job, artifact, checksums });
      used.add(artifact.file);
    } else if (artifact.custom) {
      mismatch(
        `job ${job.name} on ${job.instance} restores from custom artifact ${artifact.name} (backup_one_restore_all in the manifest), but the backup holds no ${artifact.file}`,
        'restore a backup taken since backup_one_restore_all was set for this job, or remove the property from the manifest to restore each instance from its own artifact',
      );
    } else {
      mismatch(
        `job ${job.name} on ${job.instance} has a restore script, but the backup holds no artifact for it`,
        'the backup was taken before this job (or instance) was deployed, or from another deployment: restore a backup of this deployment that includes it',
      );
    }
  }

  const skipped: SkippedArtifact[] = [];
  for (const instance of metadata.instances) {
    const name = `${instance.name}/${instance.index}`;
    if (!deployed.has(name)) continue;
    for (const artifact of instance.artifacts) {
      const file = instanceArtifactFile(instance.name, instance.index, artifact.name);
      if (used.has(file)) continue;
      skipped.push({ file, instance: name, job: artifact.name, reason: whyUnused(input, name, artifact.name) });
    }
  }
  for (const custom of metadata.customArtifacts) {
    const file = customArtifactFile(custom.name);
    if (used.has(file)) continue;
    const absent = input.absentArtifacts?.has(file) ? ' (listed without files and absent, as Go bbr writes for mysql-restore)' : '';
    skipped.push({ file, reason: `custom artifact ${custom.name}${absent}: no job with a restore script restores from it (backup_one_restore_all)` });
  }
  return { failures, sources, skipped };
}

function checksumsOf(
  metadata: BackupMetadata,
  job: TopologyJob,
  artifact: JobArtifact,
  absent: ReadonlySet<string> | undefined,
): ArtifactChecksums | undefined {
  if (artifact.custom) {
    if (absent?.has(artifact.file)) return undefined;
    return metadata.customArtifacts.find((c) => c.name === artifact.name)?.checksums;
  }
  const instance = metadata.instances.find((i) => i.name === job.group && i.index === String(job.index));
  return instance?.artifacts.find((a) => a.name === artifact.name)?.checksums;
}

/** BBR uploads artifacts only for jobs with a restore script (instance/deployed_instance.go ArtifactsToRestore). */
function whyUnused(input: TopologyInput<TopologyJob>, instance: string, jobName: string): string {
  const job = input.jobs.find((j) => j.instance === instance && j.name === jobName);
  if (job?.scripts.has('restore')) return `job ${jobName} on ${instance} restores from custom artifact ${restoreArtifactOf(job).name} (backup_one_restore_all)`;
  if (job) return `job ${jobName} on ${instance} has no restore script (it backs up only)`;
  if (input.instances.find((i) => i.name === instance)?.disabledJobs.includes(jobName)) {
    return `job ${jobName} on ${instance} prints skip_bbr_scripts: true in its metadata`;
  }
  return `${instance} has no job ${jobName} with bbr scripts`;
}

// Pure planning: lock waves, unlock waves and artifact names are decided here, before any script runs,
// so `--dry-run` can print exactly what a run would do.
import { customArtifactFile, instanceArtifactFile } from '../artifact/file-names.js';
import { CONTRACT_SCRIPTS, remoteArtifactDir, type Direction, type ScriptName } from '../contract/paths.js';
import { BbrError, PreconditionError } from '../errors.js';
import { lengthProblem, nameProblem, quoteName } from '../names.js';
import { orderLockWaves, reverseWaves } from '../order/index.js';
import type { Operation, PlanDescription, PlannedJob } from './events.js';
import type { DeployedJob } from './open-deployment.js';

export type { Direction };

export interface ScriptPlan {
  lockScript: ScriptName;
  mainScript: ScriptName;
  unlockScript: ScriptName;
  /** Waves of jobs that have the lock script, in lock order. */
  lockWaves: DeployedJob[][];
  /** Jobs that have the main (backup or restore) script. */
  mainJobs: DeployedJob[];
  /** Waves of jobs that have the unlock script, in reverse lock order. */
  unlockWaves: DeployedJob[][];
}

/** Orders every job (throws CyclicLockOrderError), then keeps in each wave the jobs that have the script. */
export function planScripts(jobs: readonly DeployedJob[], direction: Direction, options: { withReleases: boolean }): ScriptPlan {
  const { lock: lockScript, main: mainScript, unlock: unlockScript } = CONTRACT_SCRIPTS[direction];
  // Order over all jobs, scripts or not: a job without a lock script still carries ordering constraints.
  const orderable = jobs.map((job) => ({
    job,
    name: job.name,
    release: job.release,
    instance: job.instance,
    lockBefore: direction === 'backup' ? job.metadata.backupShouldBeLockedBefore : job.metadata.restoreShouldBeLockedBefore,
  }));
  const waves = orderLockWaves(orderable, { matchReleases: options.withReleases }).map((wave) => wave.map((o) => o.job));
  const having = (script: ScriptName) => (wave: DeployedJob[]) => wave.filter((job) => job.scripts.has(script));
  const nonEmpty = (wave: DeployedJob[]) => wave.length > 0;
  return {
    lockScript,
    mainScript,
    unlockScript,
    lockWaves: waves.map(having(lockScript)).filter(nonEmpty),
    mainJobs: jobs.filter((job) => job.scripts.has(mainScript)),
    unlockWaves: reverseWaves(waves).map(having(unlockScript)).filter(nonEmpty),
  };
}

/** planScripts for the check steps: a cyclic lock order becomes a failure to report with the others. */
export function tryPlanScripts(
  jobs: readonly DeployedJob[],
  direction: Direction,
  options: { withReleases: boolean },
): { plan?: ScriptPlan; failures: BbrError[] } {
  try {
    return { plan: planScripts(jobs, direction, options), failures: [] };
  } catch (error) {
    if (error instanceof BbrError) return { failures: [error] };
    throw error;
  }
}


/**
 * Which artifact a job's backup script writes or its restore script reads (BBR instance/job.go, instance/artifact.go).
 * Normally the instance's own `<group>-<index>-<job>.tar`, staged in /var/vcap/store/bbr-backup/<job>/. With the
 * manifest property `bbr.backup_one_restore_all`, the group's bootstrap instance backs up into the custom artifact
 * `<job>-<release>-backup-one-restore-all` (listed under custom_artifacts) while the other instances keep their own,
 * and every instance of the job restores from the custom one.
 */
export interface JobArtifact {
  /** The name in metadata: the job name for an instance artifact, the custom name otherwise. */
  name: string;
  /** The tar file in the local artifact directory. */
  file: string;
  /** Where the script finds it on the instance (trailing slash, as BBR passes it). */
  remoteDir: string;
  /** Listed under custom_artifacts rather than under its instance. */
  custom: boolean;
}

type ArtifactJob = Pick<DeployedJob, 'name' | 'release' | 'group' | 'index' | 'backupOneRestoreAll' | 'bootstrap'>;

/** BBR's custom artifact name (instance/job.go backupOneRestoreAllArtifactName). */
export function backupOneRestoreAllName(job: Pick<DeployedJob, 'name' | 'release'>): string {
  return `${job.name}-${job.release}-backup-one-restore-all`;
}

function customArtifact(name: string): JobArtifact {
  return { name, file: customArtifactFile(name), remoteDir: remoteArtifactDir(name), custom: true };
}

/** What a job's backup produces: the custom artifact on the bootstrap instance, else the instance's own. */
export function backupArtifactOf(job: ArtifactJob): JobArtifact {
  if (job.backupOneRestoreAll && job.bootstrap) return customArtifact(backupOneRestoreAllName(job));
  return { name: job.name, file: instanceArtifactFile(job.group, job.index, job.name), remoteDir: remoteArtifactDir(job.name), custom: false };
}

/** What a job's restore reads: the custom artifact on every instance, else the instance's own. */
export function restoreArtifactOf(job: ArtifactJob): JobArtifact {
  if (job.backupOneRestoreAll) return customArtifact(backupOneRestoreAllName(job));
  return { name: job.name, file: instanceArtifactFile(job.group, job.index, job.name), remoteDir: remoteArtifactDir(job.name), custom: false };
}

/**
 * Every artifact file name of a backup must be usable and distinct. Names were checked one by one already
 * (manifest, discovery); joined they can still be too long, and `-` joins ambiguously: group `db` with job
 * `0-j` and group `db-0` with job `j` both make `db-0-0-j.tar`, and a custom artifact
 * `<job>-<release>-backup-one-restore-all.tar` can meet an instance artifact. Two drains into one file would
 * ruin both artifacts, so the backup is refused before anything is locked.
 */
export function findArtifactNameProblems(jobs: readonly (ArtifactJob & Pick<DeployedJob, 'instance'>)[]): PreconditionError[] {
  const problems: PreconditionError[] = [];
  const owners = new Map<string, { owner: string; custom: boolean }>();
  for (const job of jobs) {
    const artifact = backupArtifactOf(job);
    const owner = artifact.custom ? `custom artifact '${artifact.name}' of job '${job.name}' on ${job.instance}` : `job '${job.name}' on ${job.instance}`;
    // A custom artifact's name holds the release from the manifest, and names a remote directory too.
    const refused = artifact.custom ? nameProblem(artifact.name) : lengthProblem(artifact.file);
    const tooLong = refused ?? lengthProblem(artifact.file);
    if (tooLong) {
      const what = artifact.custom ? `custom artifact name ${quoteName(artifact.name)}` : `artifact file name ${artifact.file}`;
      problems.push(
        new PreconditionError(`job '${job.name}' on ${job.instance} cannot be backed up: its ${what} cannot be used: ${tooLong}`, {
          hint: 'BBR names artifacts <group>-<index>-<job>.tar and <job>-<release>-backup-one-restore-all.tar; shorten the instance group, job or release name',
        }),
      );
      continue;
    }
    const other = owners.get(artifact.file);
    // Two bootstrap instances writing one custom artifact are reported by backup's own custom-artifact check.
    if (other !== undefined && other.custom && artifact.custom) continue;
    if (other !== undefined) {
      problems.push(
        new PreconditionError(`${other.owner} and ${owner} would both be saved as ${artifact.file}`, {
          hint: 'BBR names artifacts <group>-<index>-<job>.tar, so these two collide; rename an instance group or job so that the names differ',
        }),
      );
      continue;
    }
    owners.set(artifact.file, { owner, custom: artifact.custom });
  }
  return problems;
}

/** The plan as plain data for reports: instance and job names only, no connections. */
export function describePlan(
  plan: ScriptPlan,
  options: { operation: Operation; deployment: string; artifactPath?: string },
): PlanDescription {
  const named = (job: DeployedJob): PlannedJob => ({ instance: job.instance, job: job.name });
  return {
    operation: options.operation,
    deployment: options.deployment,
    lockScript: plan.lockScript,
    mainScript: plan.mainScript,
    unlockScript: plan.unlockScript,
    lockWaves: plan.lockWaves.map((wave) => wave.map(named)),
    mainJobs: plan.mainJobs.map((job) => (plan.mainScript === 'backup' ? { ...named(job), artifactFile: backupArtifactOf(job).file } : named(job))),
    unlockWaves: plan.unlockWaves.map((wave) => wave.map(named)),
    artifactPath: options.artifactPath,
  };
}

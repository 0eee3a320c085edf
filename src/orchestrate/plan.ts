// Pure planning: lock waves, unlock waves and artifact names are decided here, before any script runs,
// so `--dry-run` can print exactly what a run would do.
import { remoteArtifactDir, type ScriptName } from '../contract/paths.js';
import { BbrError } from '../errors.js';
import { orderLockWaves, reverseWaves } from '../order/index.js';
import type { Operation, PlanDescription, PlannedJob } from '../report/events.js';
import type { DeployedJob } from './open-deployment.js';

export type Direction = 'backup' | 'restore';

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

const SCRIPTS: Record<Direction, [ScriptName, ScriptName, ScriptName]> = {
  backup: ['pre-backup-lock', 'backup', 'post-backup-unlock'],
  restore: ['pre-restore-lock', 'restore', 'post-restore-unlock'],
};

/** Orders every job (throws CyclicLockOrderError), then keeps in each wave the jobs that have the script. */
export function planScripts(jobs: readonly DeployedJob[], direction: Direction, options: { withReleases: boolean }): ScriptPlan {
  const [lockScript, mainScript, unlockScript] = SCRIPTS[direction];
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

/** `<group>-<index>-<job>.tar`, BBR's artifact file name (bbr-contract.md §4.1). */
export function artifactFileName(job: Pick<DeployedJob, 'group' | 'index' | 'name'>): string {
  return `${job.group}-${job.index}-${job.name}.tar`;
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
  return { name, file: `${name}.tar`, remoteDir: remoteArtifactDir(name), custom: true };
}

/** What a job's backup produces: the custom artifact on the bootstrap instance, else the instance's own. */
export function backupArtifactOf(job: ArtifactJob): JobArtifact {
  if (job.backupOneRestoreAll && job.bootstrap) return customArtifact(backupOneRestoreAllName(job));
  return { name: job.name, file: artifactFileName(job), remoteDir: remoteArtifactDir(job.name), custom: false };
}

/** What a job's restore reads: the custom artifact on every instance, else the instance's own. */
export function restoreArtifactOf(job: ArtifactJob): JobArtifact {
  if (job.backupOneRestoreAll) return customArtifact(backupOneRestoreAllName(job));
  return { name: job.name, file: artifactFileName(job), remoteDir: remoteArtifactDir(job.name), custom: false };
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

// Pure lock ordering: turns each job's `*_should_be_locked_before` entries into waves of jobs that may be
// locked together (BBR's Kahn layering, orderer/kahn_lock_orderer.go). Unlock runs the waves reversed.
import { CyclicLockOrderError } from '../errors.js';

export interface LockOrderEntry {
  jobName: string;
  release: string;
}

export interface OrderableJob {
  name: string;
  release: string;
  /** `group/index` */
  instance: string;
  lockBefore: readonly LockOrderEntry[];
}

export interface LockWaveOptions {
  /** Default true. False in director mode, where BBR blanks releases and matches by job name only. */
  matchReleases?: boolean;
}

/** Groups jobs into lock waves: every job comes in a later wave than each job that must be locked before it. */
export function orderLockWaves<T extends OrderableJob>(jobs: readonly T[], options: LockWaveOptions = {}): T[][] {
  const successors = findSuccessors(jobs, options.matchReleases ?? true);
  const remaining = new Set(jobs.map((_, i) => i));
  const waves: T[][] = [];

  while (remaining.size > 0) {
    // A job is blocked while some remaining job must be locked before it; edges from taken jobs are gone.
    const blocked = new Set<number>();
    for (const from of remaining) for (const to of successors[from] ?? []) if (remaining.has(to)) blocked.add(to);

    const wave = [...remaining].filter((i) => !blocked.has(i));
    if (wave.length === 0) throw cycleError(jobs, successors, remaining);
    for (const i of wave) remaining.delete(i);
    waves.push(wave.map((i) => jobs[i] as T));
  }
  return waves;
}

/** The waves in reverse order, for unlocking (BBR unlocks last-locked first). Does not mutate its input. */
export function reverseWaves<T>(waves: readonly (readonly T[])[]): T[][] {
  return waves.map((wave) => [...wave]).reverse();
}

/** successors[j] = indexes of the jobs that job j must be locked before. */
function findSuccessors(jobs: readonly OrderableJob[], matchReleases: boolean): number[][] {
  const matches = (job: OrderableJob, name: string, release: string): boolean =>
    job.name === name && (!matchReleases || job.release === release);

  return jobs.map((job) => {
    const targets = new Set<number>();
    for (const entry of job.lockBefore) {
      // A job naming itself would only create edges between its own instances, which BBR reports as a
      // cycle; ordering a job relative to itself means nothing, so such entries are ignored.
      if (matches(job, entry.jobName, entry.release)) continue;
      jobs.forEach((other, k) => {
        if (matches(other, entry.jobName, entry.release)) targets.add(k);
      });
    }
    return [...targets];
  });
}

/** Every remaining job has a predecessor among the remaining ones, so walking predecessors must revisit a job. */
function cycleError(
  jobs: readonly OrderableJob[],
  successors: readonly number[][],
  remaining: ReadonlySet<number>,
): CyclicLockOrderError {
  const firstPredecessor = (target: number): number => {
    for (const from of remaining) if (successors[from]?.includes(target)) return from;
    throw new Error(`bug: job ${target} is blocked but has no remaining predecessor`);
  };

  const walk: number[] = [];
  const seen = new Map<number, number>(); // job index → position in the walk
  let current = [...remaining][0] as number;
  while (!seen.has(current)) {
    seen.set(current, walk.length);
    walk.push(current);
    current = firstPredecessor(current);
  }
  // The walk followed edges backwards, so the cycle is the revisited job and then the rest of the walk reversed.
  const cycle = [current, ...walk.slice((seen.get(current) ?? 0) + 1).reverse()];
  const path = [...cycle, current].map((i) => (jobs[i] as OrderableJob).name);

  const involved = [...new Set(cycle.map((i) => describe(jobs[i] as OrderableJob)))];
  return new CyclicLockOrderError(`job locking dependency graph is cyclic: ${path.join(' → ')}`, {
    hint:
      `fix the backup_should_be_locked_before/restore_should_be_locked_before entries printed by the ` +
      `metadata scripts of ${involved.join(', ')} so that they no longer form a loop`,
  });
}

function describe(job: OrderableJob): string {
  return job.release ? `job '${job.name}' (release ${job.release})` : `job '${job.name}'`;
}

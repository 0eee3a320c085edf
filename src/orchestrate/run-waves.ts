// Runs waves of tasks in order, up to `parallelism` at once inside a wave (BBR's executor semantics:
// every task of a wave runs and every outcome is kept; later waves run even after failures).
import pLimit from 'p-limit';

export interface TaskOutcome<T> {
  item: T;
  /** False when the task never started because the run was cancelled first. */
  started: boolean;
  error?: unknown;
}

export interface RunWavesOptions {
  parallelism: number;
  /** Once aborted, tasks not yet started are skipped; running ones get the signal themselves. */
  signal?: AbortSignal;
}

export async function runWaves<T>(
  waves: readonly (readonly T[])[],
  task: (item: T) => Promise<void>,
  options: RunWavesOptions,
): Promise<TaskOutcome<T>[]> {
  const outcomes: TaskOutcome<T>[] = [];
  for (const wave of waves) {
    const limit = pLimit(options.parallelism);
    const settled = await Promise.all(
      wave.map((item) =>
        limit(async (): Promise<TaskOutcome<T>> => {
          if (options.signal?.aborted) return { item, started: false };
          try {
            await task(item);
            return { item, started: true };
          } catch (error) {
            return { item, started: true, error };
          }
        }),
      ),
    );
    outcomes.push(...settled);
  }
  return outcomes;
}

/** Runs tasks with bounded parallelism as one wave. */
export function runAll<T>(items: readonly T[], task: (item: T) => Promise<void>, options: RunWavesOptions): Promise<TaskOutcome<T>[]> {
  return runWaves([items], task, options);
}

// How much memory the paths of artifacts may take, for the whole run. A checksum table grows with the number
// of files (as the metadata file does), so it cannot be flat; but an instance must not be able to grow it
// until the heap gives out, for itself or for the honest instances drained beside it. Every table charges the
// one budget of the process; what a refused artifact held is given back.
import { getHeapStatistics } from 'node:v8';

/** Bytes charged per held path on top of its characters: measured V8 cost of a table entry with its hash. */
export const ENTRY_OVERHEAD_BYTES = 300;

export class PathBudget {
  private used = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Charges `bytes`; false (and nothing charged) when the budget would be exceeded. */
  charge(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/**
 * A quarter of the heap Node allows this process (about 1 GiB on a machine with 16 GiB or more): room for some
 * three million files with 60-character paths across all artifacts of a run (about 290 bytes each, measured),
 * with the rest of the heap left for everything else a run holds. A hostile stream of names is refused there.
 */
export const RUN_PATH_BUDGET = new PathBudget(Math.floor(getHeapStatistics().heap_size_limit / 4));

/** Tracks what one table charged, so that it can give all of it back. */
export class PathAccount {
  private charged = 0;
  private closed = false;
  private readonly budget: PathBudget;

  constructor(budget: PathBudget = RUN_PATH_BUDGET) {
    this.budget = budget;
  }

  /** Charges a path of `length` characters; false when the run's budget is spent. */
  hold(length: number): boolean {
    if (this.closed) return false;
    const bytes = length + ENTRY_OVERHEAD_BYTES;
    if (!this.budget.charge(bytes)) return false;
    this.charged += bytes;
    return true;
  }

  drop(length: number): void {
    const bytes = Math.min(this.charged, length + ENTRY_OVERHEAD_BYTES);
    this.charged -= bytes;
    this.budget.release(bytes);
  }

  /** Gives back everything (the table was dropped); nothing more can be charged. */
  close(): void {
    this.closed = true;
    this.budget.release(this.charged);
    this.charged = 0;
  }

  get limitMiB(): number {
    return Math.round(this.budget.limit / 2 ** 20);
  }
}

// Which backups of a deployment to keep: restic's `forget` policy (restic internal/restic/snapshot_policy.go,
// doc/060_forget.rst), applied to backup directories instead of snapshots. Pure: names and times in, decisions out.
//
// restic's rules, as used here:
// - Backups are grouped (here: by deployment) and each group is walked newest first.
// - Each bucket (last, hourly, daily, weekly, monthly, yearly) with a count left keeps a backup whose period
//   (hour, day, ISO week, month, year; UTC, the time in the directory name) differs from the period of the last
//   backup the bucket kept, and uses up one count. So a bucket keeps the newest backup of each of its N newest
//   periods that hold a backup; `last` keeps the N newest backups.
// - When a bucket still has counts left at the oldest backup, it keeps that one too ("oldest daily").
// - A backup is kept when any bucket keeps it (the reasons are ORed); the others are removed.
// - An empty policy is refused: restic will not remove everything, and neither do we.
// Only complete backups take part. Failed, partial and incomplete ones are removed when they are older than
// the newest complete backup (it supersedes them) and kept when newer (one may be a backup still running).

export type BackupState = 'complete' | 'failed' | 'partial' | 'incomplete';

export interface BackupEntry {
  /** The directory (or object prefix) name, `<deployment>_<YYYYMMDDTHHMMSSZ>[.failed|.partial]`. */
  readonly name: string;
  readonly deployment: string;
  readonly time: Date;
  readonly state: BackupState;
}

export const BUCKETS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** How many periods each bucket keeps; 0 (or absent) keeps none. */
export type KeepPolicy = Partial<Record<Bucket, number>>;

export interface Decision {
  readonly entry: BackupEntry;
  readonly keep: boolean;
  /** Why it is kept (`daily #3`, `oldest yearly`, ...) or removed; never empty. */
  readonly reasons: readonly string[];
}

/** True when the policy would keep nothing (restic refuses such a policy). */
export function isEmptyPolicy(policy: KeepPolicy): boolean {
  return BUCKETS.every((b) => (policy[b] ?? 0) <= 0);
}

/** The period a backup falls into, per bucket; equal keys mean the same period. */
function periodKey(bucket: Bucket, time: Date, position: number): string {
  const y = time.getUTCFullYear();
  const m = time.getUTCMonth() + 1;
  const d = time.getUTCDate();
  switch (bucket) {
    case 'last':
      return `#${position}`;
    case 'hourly':
      return `${y}-${m}-${d}T${time.getUTCHours()}`;
    case 'daily':
      return `${y}-${m}-${d}`;
    case 'weekly': {
      const { year, week } = isoWeek(time);
      return `${year}-W${week}`;
    }
    case 'monthly':
      return `${y}-${m}`;
    case 'yearly':
      return `${y}`;
  }
}

/** ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday), as Go's Time.ISOWeek. */
export function isoWeek(time: Date): { year: number; week: number } {
  const day = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
  const weekday = (time.getUTCDay() + 6) % 7; // Monday 0 ... Sunday 6
  const thursday = new Date(day + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return { year, week };
}

/** Decides every backup of every deployment; the result lists each deployment's backups newest first. */
export function applyKeepPolicy(entries: readonly BackupEntry[], policy: KeepPolicy): Decision[] {
  const byDeployment = new Map<string, BackupEntry[]>();
  for (const entry of entries) {
    const list = byDeployment.get(entry.deployment) ?? [];
    list.push(entry);
    byDeployment.set(entry.deployment, list);
  }
  return [...byDeployment.keys()].sort().flatMap((deployment) => decideDeployment(byDeployment.get(deployment)!, policy));
}

function decideDeployment(entries: readonly BackupEntry[], policy: KeepPolicy): Decision[] {
  const newestFirst = [...entries].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : -1));
  const complete = newestFirst.filter((e) => e.state === 'complete');
  const reasons = new Map<BackupEntry, string[]>(complete.map((e) => [e, []]));
  for (const bucket of BUCKETS) {
    let left = policy[bucket] ?? 0;
    if (left <= 0) continue;
    let kept = 0;
    let lastKey: string | undefined;
    complete.forEach((entry, position) => {
      if (left <= 0) return;
      const key = periodKey(bucket, entry.time, position);
      const oldest = position === complete.length - 1;
      if (key !== lastKey || oldest) {
        kept += 1;
        left -= 1;
        reasons.get(entry)!.push(key === lastKey ? `oldest ${bucket}` : `${bucket} #${kept}`);
        lastKey = key;
      }
    });
  }
  const newestComplete = complete[0];
  return newestFirst.map((entry) => {
    if (entry.state === 'complete') {
      const why = reasons.get(entry)!;
      // restic's buckets always keep the newest backup when the policy is not empty; this guard makes
      // "never removes the newest complete backup" hold whatever the policy.
      if (entry === newestComplete && why.length === 0) why.push('newest complete backup');
      return { entry, keep: why.length > 0, reasons: why.length > 0 ? why : ['not kept by any rule'] };
    }
    if (newestComplete === undefined || entry.time.getTime() > newestComplete.time.getTime()) {
      return { entry, keep: true, reasons: [`${entry.state}, newer than the newest complete backup`] };
    }
    return { entry, keep: false, reasons: [`${entry.state}, older than the newest complete backup`] };
  });
}

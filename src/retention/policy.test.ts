// restic's forget policy on a fixed history of 40 backups of one deployment (27 complete, 13 failed, partial or
// incomplete). The expected keep-sets below were worked out by hand from restic's rules (see policy.ts), not by
// running the code: the comments show the walk, newest first.
import { describe, expect, it } from 'vitest';
import {
  COMPLETE,
  HISTORY as HISTORY_ITEMS,
  historyName,
  POLICY_A,
  POLICY_A_KEEP,
  UNFINISHED_KEPT,
  UNFINISHED_REMOVED,
  type HistoryItem,
} from '../../test/support/backup-history.js';
import { applyKeepPolicy, isoWeek, type BackupEntry, type KeepPolicy } from './policy.js';

const entry = (item: HistoryItem): BackupEntry => {
  const s = item.stamp;
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
  return { name: historyName(item), deployment: 'cf', time: new Date(iso), state: item.state };
};
const C = COMPLETE;
const FAILED_KEPT = UNFINISHED_KEPT.map(entry);
const FAILED_REMOVED = UNFINISHED_REMOVED.map(entry);

// Reversed on purpose: the policy sorts.
const HISTORY: BackupEntry[] = HISTORY_ITEMS.map(entry).reverse();

function keptComplete(policy: KeepPolicy): Record<string, string[]> {
  const kept: Record<string, string[]> = {};
  for (const d of applyKeepPolicy(HISTORY, policy)) if (d.keep && d.entry.state === 'complete') kept[d.entry.name] = [...d.reasons];
  return kept;
}
const name = (n: number) => `cf_${C[n]}`;

describe('restic forget policy on 40 backups', () => {
  it('has the fixed history', () => {
    expect(HISTORY).toHaveLength(40);
    expect(new Set(HISTORY.map((e) => e.name)).size).toBe(40);
  });

  it('--keep-last 3 --keep-hourly 4 --keep-daily 5 --keep-weekly 4 --keep-monthly 6', () => {
    // last:    C1 C2 C3.
    // hourly:  C1 (19th 12h), C2 (19th 0h), C3 (18th 12h), C4 (18th 0h).
    // daily:   C1 (19th), C3 (18th), C5 (17th; C6 same day), C7 (16th; C8 same day), C9 (15th).
    // weekly:  C1 (W12; C2..C8 same week), C9 (W11; C10, C11), C12 (W10; C13), C14 (W09).
    // monthly: C1 (Mar; ..C14), C15 (Feb; ..C18), C19 (Jan; C20, C21), C22 (Dec; C23), C24 (Nov; C25), C26 (Oct).
    //          C27 (Sep) is left: the monthly count is used up, so no "oldest" either.
    const expected = Object.fromEntries(Object.entries(POLICY_A_KEEP).map(([n, why]) => [name(Number(n)), why]));
    expect(keptComplete(POLICY_A)).toEqual(expected);
    expect(expected).toEqual({
      [name(1)]: ['last #1', 'hourly #1', 'daily #1', 'weekly #1', 'monthly #1'],
      [name(2)]: ['last #2', 'hourly #2'],
      [name(3)]: ['last #3', 'hourly #3', 'daily #2'],
      [name(4)]: ['hourly #4'],
      [name(5)]: ['daily #3'],
      [name(7)]: ['daily #4'],
      [name(9)]: ['daily #5', 'weekly #2'],
      [name(12)]: ['weekly #3'],
      [name(14)]: ['weekly #4'],
      [name(15)]: ['monthly #2'],
      [name(19)]: ['monthly #3'],
      [name(22)]: ['monthly #4'],
      [name(24)]: ['monthly #5'],
      [name(26)]: ['monthly #6'],
    });
  });

  it('--keep-weekly 20: ISO weeks, across the year boundary (31 Dec 2025 is in 2026-W01)', () => {
    // W12 C1, W11 C9, W10 C12, W09 C14 (C15 same week), W08 C16, W07 C17, W05 C18 (C19), W03 C20,
    // 2026-W01 C21 (C22 same week), 2025-W51 C23, W48 C24, W44 C25, W42 C26, W36 C27: 14 of 20.
    expect(Object.keys(keptComplete({ weekly: 20 })).sort()).toEqual([1, 9, 12, 14, 16, 17, 18, 20, 21, 23, 24, 25, 26, 27].map(name).sort());
  });

  it('--keep-yearly 5: counts left at the oldest backup keep it too ("oldest yearly")', () => {
    // 2026 C1, 2025 C22; 3 counts left at C27, which is in 2025 like C22: kept as the oldest.
    expect(keptComplete({ yearly: 5 })).toEqual({ [name(1)]: ['yearly #1'], [name(22)]: ['yearly #2'], [name(27)]: ['oldest yearly'] });
  });

  it('failed, partial and incomplete backups: removed when older than the newest complete one, kept when newer', () => {
    for (const policy of [{ last: 1 }, { last: 3, daily: 7, monthly: 12 }]) {
      const decisions = applyKeepPolicy(HISTORY, policy).filter((d) => d.entry.state !== 'complete');
      expect(decisions.filter((d) => d.keep).map((d) => d.entry.name).sort()).toEqual(FAILED_KEPT.map((e) => e.name).sort());
      expect(decisions.filter((d) => !d.keep).map((d) => d.entry.name).sort()).toEqual(FAILED_REMOVED.map((e) => e.name).sort());
    }
  });

  it('--keep-last 1 keeps only the newest complete backup; every decision has a reason', () => {
    const decisions = applyKeepPolicy(HISTORY, { last: 1 });
    expect(Object.keys(keptComplete({ last: 1 }))).toEqual([name(1)]);
    expect(decisions.every((d) => d.reasons.length > 0)).toBe(true);
    expect(decisions.map((d) => d.entry.time.getTime())).toEqual([...decisions.map((d) => d.entry.time.getTime())].sort((a, b) => b - a));
  });

  it('groups by deployment: one deployment\'s backups never use up another\'s counts', () => {
    const other = { ...entry({ stamp: '20260401T000000Z', state: 'complete' }), name: 'uaa_20260401T000000Z', deployment: 'uaa' };
    const decisions = applyKeepPolicy([...HISTORY, other], { last: 1 });
    expect(decisions.filter((d) => d.keep && d.entry.state === 'complete').map((d) => d.entry.name).sort()).toEqual([name(1), other.name]);
  });

  it('the newest complete backup is kept even by a policy that keeps nothing', () => {
    const decisions = applyKeepPolicy(HISTORY, {});
    expect(decisions.filter((d) => d.keep && d.entry.state === 'complete').map((d) => d.entry.name)).toEqual([name(1)]);
  });

  it('ISO weeks match GNU date +%G-W%V', () => {
    expect(isoWeek(new Date('2025-12-31T12:00:00Z'))).toEqual({ year: 2026, week: 1 });
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(new Date('2026-03-15T23:59:59Z'))).toEqual({ year: 2026, week: 11 });
    expect(isoWeek(new Date('2026-03-16T00:00:00Z'))).toEqual({ year: 2026, week: 12 });
  });
});

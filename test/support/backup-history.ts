// A fixed history of 40 backups of deployment 'cf' (27 complete, 13 failed, partial or incomplete) and what
// restic's forget policy keeps of it, worked out by hand (src/retention/policy.test.ts shows the walk).
// Shared by the policy's unit test and the prune e2e tests, which build it as real directories.
export type HistoryState = 'complete' | 'failed' | 'partial' | 'incomplete';

/** Complete backups, newest first: C[1] is the newest (weekday and ISO week in the comment). */
export const COMPLETE: Record<number, string> = {
  1: '20260319T120000Z', // Thu W12
  2: '20260319T000000Z', // Thu W12
  3: '20260318T120000Z', // Wed W12
  4: '20260318T000000Z', // Wed W12
  5: '20260317T123000Z', // Tue W12
  6: '20260317T120500Z', // Tue W12, same hour as 5
  7: '20260316T120000Z', // Mon W12
  8: '20260316T000000Z', // Mon W12
  9: '20260315T120000Z', // Sun W11
  10: '20260314T120000Z', // Sat W11
  11: '20260310T000000Z', // Tue W11
  12: '20260308T120000Z', // Sun W10
  13: '20260302T000000Z', // Mon W10
  14: '20260301T120000Z', // Sun W09 (March)
  15: '20260228T120000Z', // Sat W09 (February)
  16: '20260220T000000Z', // Fri W08
  17: '20260210T120000Z', // Tue W07
  18: '20260201T000000Z', // Sun W05 (February)
  19: '20260131T120000Z', // Sat W05 (January)
  20: '20260115T000000Z', // Thu W03
  21: '20260102T000000Z', // Fri 2026-W01
  22: '20251231T120000Z', // Wed 2026-W01 (ISO week of the next year), December 2025
  23: '20251220T000000Z', // Sat 2025-W51
  24: '20251130T120000Z', // Sun W48 (November)
  25: '20251101T000000Z', // Sat W44 (November)
  26: '20251015T000000Z', // Wed W42 (October)
  27: '20250901T000000Z', // Mon W36 (September), the oldest complete backup
};

export interface HistoryItem {
  stamp: string;
  state: HistoryState;
}

/** Newer than the newest complete backup: always kept (one may still be running). */
export const UNFINISHED_KEPT: HistoryItem[] = [
  { stamp: '20260320T120000Z', state: 'partial' },
  { stamp: '20260320T000000Z', state: 'failed' },
  { stamp: '20260321T000000Z', state: 'incomplete' },
];

/** Older than the newest complete backup: always removed. */
export const UNFINISHED_REMOVED: HistoryItem[] = [
  { stamp: '20260319T060000Z', state: 'failed' },
  { stamp: '20260317T000000Z', state: 'failed' },
  { stamp: '20260316T180000Z', state: 'partial' },
  { stamp: '20260313T000000Z', state: 'incomplete' },
  { stamp: '20260312T000000Z', state: 'failed' },
  { stamp: '20260301T000000Z', state: 'failed' },
  { stamp: '20260215T120000Z', state: 'partial' },
  { stamp: '20260120T000000Z', state: 'failed' },
  { stamp: '20251225T000000Z', state: 'failed' },
  { stamp: '20250801T000000Z', state: 'failed' }, // older than every complete backup
];

export const HISTORY: HistoryItem[] = [
  ...Object.values(COMPLETE).map((stamp) => ({ stamp, state: 'complete' as const })),
  ...UNFINISHED_REMOVED,
  ...UNFINISHED_KEPT,
];

/** The directory name of an item: `.failed`/`.partial` by state; an incomplete one lacks its metadata file. */
export function historyName(item: HistoryItem, deployment = 'cf'): string {
  const suffix = item.state === 'failed' ? '.failed' : item.state === 'partial' ? '.partial' : '';
  return `${deployment}_${item.stamp}${suffix}`;
}

/** Policy A: --keep-last 3 --keep-hourly 4 --keep-daily 5 --keep-weekly 4 --keep-monthly 6. */
export const POLICY_A = { last: 3, hourly: 4, daily: 5, weekly: 4, monthly: 6 };
export const POLICY_A_FLAGS = ['--keep-last', '3', '--keep-hourly', '4', '--keep-daily', '5', '--keep-weekly', '4', '--keep-monthly', '6'];
/** The complete backups policy A keeps, with restic's reasons (worked out in src/retention/policy.test.ts). */
export const POLICY_A_KEEP: Record<number, string[]> = {
  1: ['last #1', 'hourly #1', 'daily #1', 'weekly #1', 'monthly #1'],
  2: ['last #2', 'hourly #2'],
  3: ['last #3', 'hourly #3', 'daily #2'],
  4: ['hourly #4'],
  5: ['daily #3'],
  7: ['daily #4'],
  9: ['daily #5', 'weekly #2'],
  12: ['weekly #3'],
  14: ['weekly #4'],
  15: ['monthly #2'],
  19: ['monthly #3'],
  22: ['monthly #4'],
  24: ['monthly #5'],
  26: ['monthly #6'],
};

// Streaming comparison of two checksum lists: differences by kind, names quoted and capped.
import { describe, expect, it } from 'vitest';
import { ChecksumComparison, describeDifferences } from './checksum-compare.js';
import { ENTRY_OVERHEAD_BYTES, PathAccount, PathBudget } from './path-budget.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const SIDES = { expected: 'in the tar', actual: 'on the instance' };

describe('ChecksumComparison', () => {
  it('matches pairs in any order and says nothing when both sides agree', () => {
    const c = new ChecksumComparison();
    c.actual('./x', A);
    c.expected('./y', B);
    c.expected('./x', A);
    c.actual('./y', B);
    expect(c.differences().total).toBe(0);
  });

  it('tells changed content from files on one side only, and repeated names', () => {
    const c = new ChecksumComparison();
    c.expected('./changed', A);
    c.actual('./changed', B);
    c.expected('./tar-only', A);
    c.actual('./instance-only', A);
    c.actual('./instance-only', A);
    const d = c.differences();
    expect(describeDifferences(d, SIDES)).toBe(
      "1 file with different content ('./changed'), 1 file only in the tar ('./tar-only'), 1 file only on the instance ('./instance-only'), 1 file listed more than once on the instance ('./instance-only')",
    );
  });

  it('quotes at most five names per kind, each cut to 200 characters', () => {
    const c = new ChecksumComparison();
    for (let i = 0; i < 12; i++) c.expected(`./${String(i).padStart(2, '0')}${'n'.repeat(1000)}`, A);
    const text = describeDifferences(c.differences(), SIDES);
    expect(text).toMatch(/^12 files only in the tar \('\.\/00n+…', .* and 7 more\)$/);
    expect(text.length).toBeLessThan(1200);
  });

  it('stops holding the actual side beyond the budget and gives it back at the end', () => {
    const budget = new PathBudget(3 * (ENTRY_OVERHEAD_BYTES + 4));
    const c = new ChecksumComparison(new PathAccount(budget));
    expect(c.actual('./a1', A)).toBe(true);
    expect(c.actual('./a2', A)).toBe(true);
    expect(c.actual('./a3', A)).toBe(true);
    expect(c.actual('./a4', A)).toBe(false);
    c.differences();
    expect(budget.charge(3 * (ENTRY_OVERHEAD_BYTES + 4))).toBe(true);
  });
});

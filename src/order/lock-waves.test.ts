// Lock waves follow BBR's Kahn orderer (orderer/kahn_lock_orderer_test.go examples) plus our cycle report.
import { describe, expect, it } from 'vitest';
import { CyclicLockOrderError } from '../errors.js';
import { orderLockWaves, reverseWaves, type OrderableJob } from './index.js';

function job(name: string, before: string[] = [], opts: { instance?: string; release?: string } = {}): OrderableJob {
  return {
    name,
    release: opts.release ?? 'rel',
    instance: opts.instance ?? `${name}-group/0`,
    lockBefore: before.map((jobName) => ({ jobName, release: 'rel' })),
  };
}

const labels = (waves: OrderableJob[][]): string[][] => waves.map((w) => w.map((j) => `${j.name}@${j.instance}`));
const names = (waves: OrderableJob[][]): string[][] => waves.map((w) => w.map((j) => j.name));

function cycleOf(jobs: OrderableJob[]): CyclicLockOrderError {
  try {
    orderLockWaves(jobs);
  } catch (error) {
    expect(error).toBeInstanceOf(CyclicLockOrderError);
    return error as CyclicLockOrderError;
  }
  throw new Error('expected a cycle');
}

describe('orderLockWaves', () => {
  it('puts every job in one wave when there are no constraints', () => {
    expect(names(orderLockWaves([job('a'), job('b'), job('c')]))).toEqual([['a', 'b', 'c']]);
  });

  it('chains a→b, b→c into three waves', () => {
    expect(names(orderLockWaves([job('a', ['b']), job('b', ['c']), job('c')]))).toEqual([['a'], ['b'], ['c']]);
  });

  it('keeps input order inside a wave (b→{c,d}, input a,c,d,b)', () => {
    const waves = orderLockWaves([job('a'), job('c'), job('d'), job('b', ['c', 'd'])]);
    expect(names(waves)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('orders every instance of a job after the job that names it', () => {
    const jobs = [
      job('c', [], { instance: 'c/0' }),
      job('a'),
      job('c', [], { instance: 'c/1' }),
      job('b', ['c']),
      job('c', [], { instance: 'c/2' }),
    ];
    expect(labels(orderLockWaves(jobs))).toEqual([
      ['a@a-group/0', 'b@b-group/0'],
      ['c@c/0', 'c@c/1', 'c@c/2'],
    ]);
  });

  it('returns the very job objects it was given', () => {
    const a = { ...job('a', ['b']), extra: 42 };
    const b = { ...job('b'), extra: 7 };
    const waves = orderLockWaves([b, a]);
    expect(waves[0]?.[0]).toBe(a);
    expect(waves[1]?.[0]?.extra).toBe(7);
  });

  it('ignores entries naming a job of another release unless releases are not matched', () => {
    const a: OrderableJob = { ...job('a'), lockBefore: [{ jobName: 'b', release: 'other-release' }] };
    const b = job('b');
    expect(names(orderLockWaves([b, a]))).toEqual([['b', 'a']]);
    expect(names(orderLockWaves([b, a], { matchReleases: false }))).toEqual([['a'], ['b']]);
  });

  it('matches by name only in director mode, where releases are blank', () => {
    const a: OrderableJob = { ...job('a', [], { release: '' }), lockBefore: [{ jobName: 'b', release: '' }] };
    const b = job('b', [], { release: '' });
    expect(names(orderLockWaves([b, a], { matchReleases: false }))).toEqual([['a'], ['b']]);
  });

  it('ignores entries that match no job', () => {
    expect(names(orderLockWaves([job('a', ['missing']), job('b')]))).toEqual([['a', 'b']]);
  });

  it('ignores a job naming itself, even across several instances of it', () => {
    const jobs = [job('a', ['a'], { instance: 'g/0' }), job('a', ['a'], { instance: 'g/1' }), job('b', ['a'])];
    expect(labels(orderLockWaves(jobs))).toEqual([['b@b-group/0'], ['a@g/0', 'a@g/1']]);
  });

  it('returns no waves for no jobs', () => {
    expect(orderLockWaves([])).toEqual([]);
  });

  it('reports a 2-cycle with the jobs involved and a hint', () => {
    const error = cycleOf([job('a', ['b']), job('b', ['a'])]);
    expect(error.message).toBe('job locking dependency graph is cyclic: a → b → a');
    expect(error.hint).toContain('backup_should_be_locked_before/restore_should_be_locked_before');
    expect(error.hint).toContain("job 'a' (release rel), job 'b' (release rel)");
  });

  it('reports a 3-cycle and leaves out jobs that are not part of it', () => {
    const error = cycleOf([job('x'), job('a', ['b']), job('b', ['c']), job('c', ['a']), job('d', ['a'])]);
    expect(error.message).toBe('job locking dependency graph is cyclic: a → b → c → a');
    expect(error.hint).not.toContain("'d'");
    expect(error.hint).not.toContain("'x'");
  });

  it('reports a cycle that only appears after earlier waves were taken', () => {
    const error = cycleOf([job('root', ['a']), job('a', ['b']), job('b', ['a'])]);
    expect(error.message).toBe('job locking dependency graph is cyclic: a → b → a');
    expect(error.code).toBe('BBR_CYCLIC_LOCK_ORDER');
  });
});

describe('reverseWaves', () => {
  it('reverses the wave order but keeps the order inside each wave', () => {
    const waves = [['a', 'b'], ['c'], ['d', 'e']];
    expect(reverseWaves(waves)).toEqual([['d', 'e'], ['c'], ['a', 'b']]);
    expect(waves).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
  });

  it('returns copies, so changing the result leaves the input alone', () => {
    const waves = [['a'], ['b']];
    reverseWaves(waves)[0]?.push('z');
    expect(waves).toEqual([['a'], ['b']]);
    expect(reverseWaves([])).toEqual([]);
  });
});

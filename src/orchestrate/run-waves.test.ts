import { describe, expect, it } from 'vitest';
import { runWaves } from './run-waves.js';

describe('runWaves', () => {
  it('finishes a wave before starting the next and never exceeds the parallelism', async () => {
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    await runWaves(
      [['a1', 'a2', 'a3'], ['b1']],
      async (item) => {
        running++;
        peak = Math.max(peak, running);
        log.push(`start ${item}`);
        await new Promise((r) => setImmediate(r));
        log.push(`end ${item}`);
        running--;
      },
      { parallelism: 2 },
    );
    expect(peak).toBe(2);
    expect(log.indexOf('start b1')).toBeGreaterThan(log.indexOf('end a3'));
  });

  it('keeps running the wave and later waves after a failure, recording every outcome', async () => {
    const outcomes = await runWaves(
      [['ok', 'bad'], ['later']],
      async (item) => {
        if (item === 'bad') throw new Error('boom');
      },
      { parallelism: 5 },
    );
    expect(outcomes.map((o) => [o.item, o.started, (o.error as Error | undefined)?.message])).toEqual([
      ['ok', true, undefined],
      ['bad', true, 'boom'],
      ['later', true, undefined],
    ]);
  });

  it('does not start tasks once the signal is aborted', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const outcomes = await runWaves(
      [['first', 'second'], ['third']],
      async (item) => {
        started.push(item);
        controller.abort();
      },
      { parallelism: 1, signal: controller.signal },
    );
    expect(started).toEqual(['first']);
    expect(outcomes.filter((o) => !o.started).map((o) => o.item)).toEqual(['second', 'third']);
  });
});

import { describe, expect, it } from 'vitest';
import { progressSampler } from './progress-sampler.js';

describe('progressSampler', () => {
  it('passes on the byte count at most every 64 MiB or 500 ms, never per chunk', () => {
    let clock = 0;
    const seen: number[] = [];
    const sample = progressSampler((bytes) => seen.push(bytes), () => clock);
    for (let bytes = 32 * 1024; bytes <= 1024 * 1024; bytes += 32 * 1024) sample(bytes); // 32 chunks at once
    expect(seen).toEqual([]);
    sample(64 * 1024 * 1024); // a volume's worth
    clock = 499;
    sample(64 * 1024 * 1024 + 1);
    clock = 1000; // half a second since the last report
    sample(64 * 1024 * 1024 + 2);
    expect(seen).toEqual([64 * 1024 * 1024, 64 * 1024 * 1024 + 2]);
  });

  it('costs nothing without a listener', () => {
    expect(() => progressSampler(undefined)(1)).not.toThrow();
  });
});

import { median, percentile, round, summarize } from '../../scripts/bench/stats';

describe('bench percentiles (nearest rank)', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('returns an observed value at the nearest rank', () => {
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0.1)).toBe(1);
    expect(percentile([3, 7, 9], 50)).toBe(7);
    expect(percentile([3, 7, 9], 99)).toBe(9);
  });

  it('refuses an empty sample and a percentile out of range', () => {
    expect(() => percentile([], 50)).toThrow('empty');
    expect(() => percentile(sorted, 0)).toThrow('(0, 100]');
    expect(() => percentile(sorted, 101)).toThrow('(0, 100]');
  });

  it('summarizes an unsorted sample without changing it', () => {
    const sample = [5, 1, 4, 2, 3];
    expect(summarize(sample)).toEqual({ count: 5, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(sample).toEqual([5, 1, 4, 2, 3]);
    expect(median([10, 30, 20, 40])).toBe(20);
  });

  it('rounds to significant digits', () => {
    expect(round(0.0123456)).toBe(0.0123);
    expect(round(12.3456)).toBe(12.3);
    expect(round(123456)).toBe(123456);
    expect(round(0)).toBe(0);
  });
});

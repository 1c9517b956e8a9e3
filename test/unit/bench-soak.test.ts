// The soak's verdict (scripts/bench/soak.ts): memory "levels off" when the peak is under the limit
// and the second half no longer grows.
import { soakVerdict } from '../../scripts/bench/soak';

const MB = 1024 * 1024;
/** One sample every 10 s for `minutes`, RSS from `rssAt(seconds)` in MB. */
const run = (minutes: number, rssAt: (t: number) => number) =>
  Array.from({ length: minutes * 6 + 1 }, (_, i) => ({
    at: i * 10,
    rss: rssAt(i * 10) * MB,
    heapTotal: 0,
    heapUsed: 0,
    external: 0,
  }));

describe('soak verdict', () => {
  it('levels off: growth at the start, flat (with noise) in the second half, under the limit', () => {
    const samples = run(10, (t) => (t < 120 ? 180 + t / 2 : 240 + (t % 20 === 0 ? 3 : -3)));
    expect(soakVerdict(samples, 10)).toMatchObject({ peakRss: 243 * MB, levelsOff: true });
  });

  it('does not level off while the second half keeps growing, even under the limit', () => {
    const samples = run(10, (t) => 150 + t / 10); // +6 MB a minute
    const verdict = soakVerdict(samples, 10);
    expect(verdict.lastHalfSlopeMbPerMin).toBeCloseTo(6, 5);
    expect(verdict.levelsOff).toBe(false);
  });

  it('does not level off over the limit, however flat', () => {
    expect(
      soakVerdict(
        run(10, () => 320),
        10,
      ),
    ).toMatchObject({ lastHalfSlopeMbPerMin: 0, levelsOff: false });
  });
});

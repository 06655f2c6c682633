/**
 * A transfer rate smoothed over a sliding window of recent samples, not the average since the start:
 * a job that slowed down (or resumed on another node) shows its rate of the last seconds, so the ETA
 * follows it. Pure: the caller passes the time.
 */

interface Sample {
  at: number;
  bytes: number;
}

export class RateWindow {
  private samples: Sample[] = [];

  /**
   * @param windowMs how far back the rate looks
   * @param minSpanMs the shortest span a rate is given for (shorter: null, too noisy)
   * @param minGapMs samples closer than this to the one before the last replace the last one
   */
  constructor(
    private readonly windowMs = 10_000,
    private readonly minSpanMs = 1000,
    private readonly minGapMs = 200,
  ) {}

  /** Adds `bytes` done at time `at` (ms). Fewer bytes than before (a fresh restart) starts over. */
  add(at: number, bytes: number): void {
    const n = this.samples.length;
    if (n > 0 && bytes < this.samples[n - 1].bytes) this.samples = [];
    const s = this.samples;
    if (s.length >= 2 && at - s[s.length - 2].at < this.minGapMs) s[s.length - 1] = { at, bytes };
    else s.push({ at, bytes });
    // keep one sample at or before the window's start as the anchor of the rate
    while (s.length > 2 && s[1].at <= at - this.windowMs) s.shift();
  }

  /** Bytes per second over the window, or null before it spans `minSpanMs`. */
  rate(): number | null {
    const s = this.samples;
    if (s.length < 2) return null;
    const first = s[0];
    const last = s[s.length - 1];
    const span = last.at - first.at;
    return span >= this.minSpanMs ? ((last.bytes - first.bytes) * 1000) / span : null;
  }

  reset(): void {
    this.samples = [];
  }
}

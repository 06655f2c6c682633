/**
 * Paces a backup to a byte rate (the app's bandwidth limit): the archiver takes every stored
 * chunk's bytes from here, and waits while it is ahead of the rate. Sleeps in short slices so a
 * cancellation is noticed within a fraction of a second.
 */
import { AbortedError } from './errors';

export class RateLimiter {
  private readonly started = Date.now();
  private taken = 0;

  constructor(private readonly bytesPerSecond: number) {}

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.taken += bytes;
    for (;;) {
      const wait = this.started + (this.taken / this.bytesPerSecond) * 1000 - Date.now();
      if (wait <= 0) return;
      if (signal?.aborted) throw new AbortedError('backup');
      await new Promise((r) => setTimeout(r, Math.min(wait, 100)));
    }
  }
}

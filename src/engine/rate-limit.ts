/**
 * Paces a backup to a byte rate (the app's bandwidth limit), or a restore or verify (the jobs'
 * operation bandwidth limit): the archiver takes every stored chunk's bytes from here, the
 * restorer every file's, the checker every pack's, and each waits while it is ahead of the rate. Sleeps in short slices so a
 * cancellation is noticed within a fraction of a second.
 */
import { AbortedError } from './errors';

export class RateLimiter {
  private readonly started = Date.now();
  private taken = 0;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly what: 'backup' | 'restore' | 'verify' = 'backup',
  ) {}

  /** Waits until the rate allows `bytes` more; concurrent takers (a restore's files) go in the order they took. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.taken += bytes;
    const due = this.started + (this.taken / this.bytesPerSecond) * 1000;
    for (;;) {
      const wait = due - Date.now();
      if (wait <= 0) return;
      if (signal?.aborted) throw new AbortedError(this.what);
      await new Promise((r) => setTimeout(r, Math.min(wait, 100)));
    }
  }
}

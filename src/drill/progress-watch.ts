/**
 * Watches a job's live progress (its running attempt's heartbeat details, as `describe()` returns
 * them: src/client/live-progress.ts) while a drill runs and keeps, per attempt epoch, the highest
 * progress the attempt reported: how far a failed attempt had read before it was cut off. The
 * attempt heartbeats at least every second (and on every checkpoint) and its node's worker sends
 * the details on within a second, so the figure is at most about a second behind what it read.
 * It also keeps, per epoch, the time the attempt says it was first writing again (its own stamp).
 */
import type { Client } from '@temporalio/client';
import { backupProgress } from '../client/live-progress';

export class ProgressWatch {
  private readonly bytesByEpoch = new Map<number, number>();
  private readonly writingAtByEpoch = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly client: Client,
    private readonly jobId: string,
    private readonly everyMs = 200,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.poll(), this.everyMs);
    return this;
  }

  /** One look now; errors (the job's worker gone for a moment) are skipped, the next poll retries. */
  async poll(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.look().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async look(): Promise<void> {
    try {
      const p = (await backupProgress(this.client, this.jobId))?.progress;
      if (p && p.bytes > (this.bytesByEpoch.get(p.epoch) ?? -1)) this.bytesByEpoch.set(p.epoch, p.bytes);
      if (p?.writingAt && !this.writingAtByEpoch.has(p.epoch)) this.writingAtByEpoch.set(p.epoch, p.writingAt);
    } catch {
      // Try again next round.
    }
  }

  /** The last progress bytes reported by the attempt with `epoch`, or null if none was seen. */
  lastBytes(epoch: number): number | null {
    return this.bytesByEpoch.get(epoch) ?? null;
  }

  /** When the attempt with `epoch` said it first got past its resumed position (BackupProgress.writingAt). */
  writingAt(epoch: number): string | null {
    return this.writingAtByEpoch.get(epoch) ?? null;
  }

  /** The highest progress bytes any attempt reported so far, or null. */
  maxBytes(): number | null {
    return this.bytesByEpoch.size === 0 ? null : Math.max(...this.bytesByEpoch.values());
  }

  /** Stops polling; resolves once no look is in flight (the client's connection may then close). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }
}

/**
 * Small files go to the workers in batches: one message for many files. A batch goes out when full
 * (by files or bytes), when a file in it is needed, or when a worker would otherwise wait.
 */
import type { SealResult, SegmentJob } from './seal-worker';
import type { WorkerPool } from './worker-pool';

export const BATCH_FILES = 128;
export const BATCH_MIN_FILES = 16;
export const BATCH_BYTES = 4 * 1024 * 1024;

type Job = Omit<SegmentJob, 'kind'>;
/** Where a file's result is also put as it arrives, for a caller that looks before it awaits. */
export interface ResultSlot {
  smallResult?: SealResult;
}
type Waiting = { job: Job; into?: ResultSlot; resolve: (r: SealResult) => void; reject: (e: Error) => void };

export class SmallFileBatcher {
  private waiting: Waiting[] = [];
  private bytes = 0;
  /** the number of the batch being filled (batches sent so far) */
  filling = 0;

  constructor(private readonly pool: Pick<WorkerPool, 'batch' | 'hasIdleWorker'>) {}

  /** Queues a file's job; its result comes with the batch's (and goes into `into` first). */
  add(size: number, job: Job, into?: ResultSlot): Promise<SealResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, into, resolve, reject });
      this.bytes += size;
      if (this.waiting.length >= BATCH_FILES || this.bytes >= BATCH_BYTES) this.send();
    });
  }

  send(): void {
    if (this.waiting.length === 0) return;
    this.filling++;
    const sent = this.waiting;
    this.waiting = [];
    this.bytes = 0;
    this.pool.batch(sent.map((w) => w.job)).then(
      (results) =>
        results.forEach((r, i) => {
          const w = sent[i];
          if (w.into) w.into.smallResult = r;
          w.resolve(r);
        }),
      (err: Error) => sent.forEach((w) => w.reject(err)),
    );
  }

  /** Sends the batch being filled if it is batch `batchNo` (a job in it is wanted now). */
  sendIfFilling(batchNo: number | undefined): void {
    if (batchNo === this.filling) this.send();
  }

  /**
   * Sends a part-filled batch only when a worker would otherwise wait, and not a tiny one: when the
   * walk is what limits the backup, tiny batches would only add to the walking thread's work.
   */
  sendIfIdle(walkDone: boolean): void {
    if (this.pool.hasIdleWorker && (this.waiting.length >= BATCH_MIN_FILES || walkDone)) this.send();
  }
}

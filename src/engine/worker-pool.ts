/**
 * A small pool of worker threads (default 2) running seal-worker.ts jobs, so chunking, hashing,
 * compression and encryption stay off the caller's event loop. `close()` terminates the workers
 * and fails every job not finished.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Job, SealResult, SegmentCut, SegmentJob, WorkerMessage, WorkerInit, WorkerReply } from './seal-worker';
import { ZSTD_LEVEL } from './blob';
import { AbortedError } from './errors';
import type { KnownTable } from './known-ids';

/**
 * Result buffers of big segments are made at least this big and come back to be reused (recycle):
 * a fresh multi-MiB buffer per segment cost the worker a page fault per 4 KiB it filled.
 */
export const RESULT_BUFFER = 12 * 1024 * 1024;
/** spent result buffers kept for reuse: enough for the segments in flight */
const MAX_SPARE = 4;

interface Pending {
  seq: number;
  job: Job;
  transfer: ArrayBuffer[];
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  onCut?: (cut: SegmentCut) => void;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly workers: Worker[] = [];
  private seq = 0;
  private closed = false;
  /** spent result buffers of segment jobs, handed to the next segment jobs (see recycle) */
  private readonly spare: ArrayBuffer[] = [];

  /**
   * `known`: the backup's KnownIds table, so workers skip sealing chunks it already has;
   * `level`: the drive's zstd level.
   */
  constructor(key: Buffer | null, size = 2, opts: { known?: KnownTable; level?: number } = {}) {
    const init: WorkerInit = { key, level: opts.level ?? ZSTD_LEVEL, known: opts.known ?? null };
    for (let i = 0; i < size; i++) {
      const w = new Worker(join(__dirname, 'seal-worker.js'), { workerData: init });
      w.on('message', (msg: WorkerReply) => {
        if ('cut' in msg) this.busy.get(w)?.onCut?.(msg.cut);
        else this.done(w, msg.res);
      });
      w.on('error', (err) => this.fail(w, err));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** true when a worker would start a job posted now */
  get hasIdleWorker(): boolean {
    return this.idle.length > 0 && this.queue.length === 0;
  }

  /** A segment job; `onCut` hears where the next segment starts before the result is ready. */
  segment(job: Omit<SegmentJob, 'kind'>, onCut?: (cut: SegmentCut) => void): Promise<SealResult> {
    return this.run({ kind: 'segment', ...job }, [], onCut) as Promise<SealResult>;
  }

  /** Hands the workers a bigger KnownIds table (the old one stays valid until they switch). */
  setKnown(table: KnownTable): void {
    const msg: WorkerMessage = { known: table };
    for (const w of this.workers) w.postMessage(msg);
  }

  async batch(jobs: Omit<SegmentJob, 'kind'>[]): Promise<SealResult[]> {
    const res = (await this.run({ kind: 'batch', jobs: jobs.map((j) => ({ kind: 'segment' as const, ...j })) })) as {
      results: SealResult[];
      data: Uint8Array;
      starts: number[];
    };
    return res.results.map((r, i) => {
      const end = i + 1 < res.starts.length ? res.starts[i + 1] : res.data.byteLength;
      return { ...r, data: res.data.subarray(res.starts[i], end) };
    });
  }

  /**
   * Gives back the buffer of a segment result whose bytes the caller no longer needs (they were
   * copied into a pack), for a later segment job to fill: big result buffers are reused instead of
   * made anew. Buffers smaller than RESULT_BUFFER are let go.
   */
  recycle(buffer: ArrayBufferLike): void {
    if (buffer instanceof ArrayBuffer && buffer.byteLength >= RESULT_BUFFER && this.spare.length < MAX_SPARE) {
      this.spare.push(buffer);
    }
  }

  private run(job: Job, transfer: ArrayBuffer[] = [], onCut?: (cut: SegmentCut) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new AbortedError('chunking'));
    return new Promise((resolve, reject) => {
      this.queue.push({ seq: ++this.seq, job, transfer, resolve, reject, onCut });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const p = this.queue.shift() as Pending;
      this.busy.set(w, p);
      const out = p.job.kind === 'segment' ? this.spare.pop() : undefined;
      const msg: WorkerMessage = { seq: p.seq, job: p.job, out };
      w.postMessage(msg, out ? [...p.transfer, out] : p.transfer);
    }
  }

  private done(w: Worker, res: unknown): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    this.idle.push(w);
    p?.resolve(res);
    this.pump();
  }

  private fail(w: Worker, err: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    p?.reject(err);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new AbortedError('chunking'));
    for (const p of this.busy.values()) p.reject(new AbortedError('chunking'));
    this.busy.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

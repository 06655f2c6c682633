/**
 * A small pool of worker threads (default 2) running chunk jobs (seal-worker.ts), so chunking,
 * hashing, compression and encryption stay off the caller's event loop. `close()` terminates the
 * workers and fails jobs still waiting.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { ChunkJob, ChunkResult } from './seal-worker';
import { AbortedError } from './errors';

interface Pending {
  job: ChunkJob;
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly workers: Worker[] = [];
  private seq = 0;
  private closed = false;

  constructor(key: Buffer | null, size = 2) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(join(__dirname, 'seal-worker.js'), { workerData: { key } });
      w.on('message', (res: ChunkResult) => this.done(w, res));
      w.on('error', (err) => this.fail(w, err));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(job: Omit<ChunkJob, 'seq'>): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new AbortedError('chunking'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...job, seq: ++this.seq }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const p = this.queue.shift() as Pending;
      this.busy.set(w, p);
      w.postMessage(p.job);
    }
  }

  private done(w: Worker, res: ChunkResult): void {
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

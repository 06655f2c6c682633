/**
 * A small pool of worker threads (default 2) running seal-worker.ts jobs, so chunking, hashing,
 * compression and encryption, and hashing the packs, stay off the caller's event loop. `close()` fails every job not
 * finished at once and lets the threads end by themselves.
 */
import type { Worker } from 'node:worker_threads';
import type { Job, SealResult, SegmentCut, SegmentJob, WorkerMessage, WorkerInit, WorkerReply } from './seal-worker';
import { ZSTD_LEVEL } from './blob';
import { AbortedError } from './errors';
import type { KnownTable } from './known-ids';
import type { ContentIds } from './content-key';
import { DEFAULT_WORKERS, RESULT_BUFFER, leastBusy, startWorkers } from './worker-start';
import { packJobs, unpackResults } from './batch-wire';
import type { PackedResults } from './batch-wire';

/** spent result buffers kept for reuse: enough for the segments in flight */
const MAX_SPARE = 4;

/** How long close() lets a thread finish the jobs it was posted before terminating it (a hung read). */
const CLOSE_WAIT_MS = 10_000;

interface Pending {
  seq: number;
  job: Job;
  transfer: ArrayBuffer[];
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  onCut?: (cut: SegmentCut) => void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  /** each live worker's jobs in the order it runs them */
  private readonly inflight = new Map<Worker, Pending[]>();
  private readonly queue: Pending[] = [];
  private seq = 0;
  private closed = false;
  /** why the last worker failed, once none is left */
  private dead: Error | null = null;
  /** spent (shared) result buffers of segment jobs, handed to the next segment jobs (see recycle) */
  private readonly spare: SharedArrayBuffer[] = [];
  /** what the workers start with (the KnownIds table is kept current until they do) */
  private readonly init: WorkerInit;

  /**
   * `known`: the backup's KnownIds table, so workers skip sealing chunks it already has;
   * `level`: the drive's zstd level; `version`: the drive's format version (5 and later bind each
   * blob to its type and ID; default 0, unbound as before 5). The threads start with the first job: a backup that finds
   * every file unchanged needs none (two idle workers hold about 30 MiB).
   */
  constructor(
    key: Buffer | null,
    private readonly size = DEFAULT_WORKERS,
    opts: { known?: KnownTable; level?: number; version?: number; ids?: ContentIds } = {},
  ) {
    this.init = {
      key,
      version: opts.version ?? 0,
      level: opts.level ?? ZSTD_LEVEL,
      known: opts.known ?? null,
      idKey: opts.ids?.idKey ?? null,
      gear: opts.ids?.gear ?? null,
    };
  }

  /** How many worker threads run (none before the first job). */
  get threads(): number {
    return this.workers.length;
  }

  private start(): void {
    if (this.workers.length > 0) return;
    for (const w of startWorkers('seal-worker.js', this.size, this.init)) {
      w.on('message', (msg: WorkerReply) => {
        if ('cut' in msg) this.inflight.get(w)?.[0]?.onCut?.(msg.cut);
        else this.done(w, msg.res);
      });
      w.on('error', (err) => this.fail(w, err));
      w.on('exit', (code) => this.fail(w, new Error(`a chunking worker thread ended (exit code ${code})`)));
      this.workers.push(w);
      this.inflight.set(w, []);
    }
  }

  /** true when a worker has nothing to do (or none has started) and would start a job posted now */
  get hasIdleWorker(): boolean {
    if (this.queue.length > 0) return false;
    if (this.workers.length === 0) return true;
    for (const jobs of this.inflight.values()) if (jobs.length === 0) return true;
    return false;
  }

  /** A segment job; `onCut` hears where the next segment starts before the result is ready. */
  segment(job: Omit<SegmentJob, 'kind'>, onCut?: (cut: SegmentCut) => void): Promise<SealResult> {
    return this.run({ kind: 'segment', ...job }, [], onCut) as Promise<SealResult>;
  }

  /** Hands the workers a bigger KnownIds table (the old one stays valid until they switch). */
  setKnown(table: KnownTable): void {
    this.init.known = table;
    const msg: WorkerMessage = { known: table };
    for (const w of this.workers) w.postMessage(msg);
  }

  /** The content ID of the first `length` bytes of `memory` (a pack: pack-writer.ts), hashed by a worker. */
  hash(memory: SharedArrayBuffer, length: number): Promise<string> {
    return this.run({ kind: 'hash', memory, length }) as Promise<string>;
  }

  async batch(jobs: Omit<SegmentJob, 'kind'>[]): Promise<SealResult[]> {
    return unpackResults((await this.run({ kind: 'batch', ...packJobs(jobs) })) as PackedResults);
  }

  /**
   * Gives back the buffer of a segment result whose bytes the caller no longer needs (they were
   * copied into a pack), for a later segment job to fill: big result buffers (shared memory, see
   * seal-worker.ts resultBuffer) are reused instead of made anew. The caller must not read the
   * result after this. Buffers smaller than RESULT_BUFFER are let go.
   */
  recycle(buffer: ArrayBufferLike): void {
    if (buffer instanceof SharedArrayBuffer && buffer.byteLength >= RESULT_BUFFER && this.spare.length < MAX_SPARE) {
      this.spare.push(buffer);
    }
  }

  private run(job: Job, transfer: ArrayBuffer[] = [], onCut?: (cut: SegmentCut) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new AbortedError('chunking'));
    if (this.dead) return Promise.reject(this.dead);
    this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ seq: ++this.seq, job, transfer, resolve, reject, onCut });
      this.pump();
    });
  }

  /** Hands queued jobs to the least busy workers, up to DEPTH each. */
  private pump(): void {
    while (this.queue.length > 0) {
      const w = leastBusy(this.inflight)?.worker;
      if (!w) return;
      const p = this.queue.shift() as Pending;
      (this.inflight.get(w) as Pending[]).push(p);
      const out = p.job.kind === 'segment' ? this.spare.pop() : undefined;
      const msg: WorkerMessage = { seq: p.seq, job: p.job, out };
      w.postMessage(msg, p.transfer); // `out` is shared, not transferred
    }
  }

  private done(w: Worker, res: unknown): void {
    this.inflight.get(w)?.shift()?.resolve(res);
    this.pump();
  }

  /** A worker failed: its jobs fail, and it gets no more; when none is left, every queued job fails. */
  private fail(w: Worker, err: Error): void {
    if (this.closed || !this.inflight.has(w)) return;
    const jobs = this.inflight.get(w) ?? [];
    this.inflight.delete(w);
    if (this.inflight.size === 0) {
      this.dead = err;
      jobs.push(...this.queue.splice(0));
    }
    for (const p of jobs) p.reject(err);
  }

  /**
   * Stops: every queued and running job fails with AbortedError at once. Each thread is then sent
   * `close` behind the jobs already posted to it and ends by itself once it has answered them
   * (answers nobody waits for any more); only a thread that has not ended after CLOSE_WAIT_MS (a
   * read hung on a dead mount) is terminated. Terminating a busy thread is what the pool must not
   * do: on Node 24 (not 20), a thread terminated while it makes its first zstd context (blob.ts
   * makes one lazily per thread) aborts the whole process ("terminate called after throwing an
   * instance of 'Napi::Error'": zstd-napi throws a C++ exception where nothing catches it).
   * Resolves to how many threads had to be terminated.
   */
  async close(): Promise<{ terminated: number }> {
    if (this.closed) return { terminated: 0 };
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new AbortedError('chunking'));
    for (const jobs of this.inflight.values()) for (const p of jobs.splice(0)) p.reject(new AbortedError('chunking'));
    const ends = await Promise.all(this.workers.map((w) => endThread(w)));
    return { terminated: ends.filter((e) => e === 'terminated').length };
  }
}

/** Asks `w` to end after the jobs posted to it; terminates it only if it has not ended in CLOSE_WAIT_MS. */
function endThread(w: Worker): Promise<'ended' | 'terminated'> {
  if (w.threadId === -1) return Promise.resolve('ended'); // ended already
  return new Promise((resolve) => {
    let terminating = false;
    const timer = setTimeout(() => {
      terminating = true;
      void w.terminate();
    }, CLOSE_WAIT_MS);
    w.once('exit', () => {
      clearTimeout(timer);
      resolve(terminating ? 'terminated' : 'ended');
    });
    const msg: WorkerMessage = { close: true };
    w.postMessage(msg);
  });
}

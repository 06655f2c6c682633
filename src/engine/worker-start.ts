/**
 * Starting the engine's worker threads, optionally ahead of need. A worker thread takes about
 * 45 ms before its script runs and 20 ms more to load it (measured on this project's VM: pool
 * created at 172 ms, worker scripts running at 216 ms, first job at 236 ms), and a command spends
 * about 80 ms deriving the drive key with scrypt before it can create a pool. A command that
 * calls `prestartWorkers` first gets both at once: the threads boot while the key is derived
 * (`baton repo restore` does; a backup starts its workers only when it has a file to read).
 *
 * A worker learns what it works with (keys, compression level, ...) from its first message,
 * `{ init }`, not from workerData, so it can be started before that is known. Prestarted workers
 * are unreferenced until a pool takes them: a command that fails first still exits.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';

export type WorkerScript = 'seal-worker.js' | 'restore-worker.js';

/** Worker threads a backup or restore runs unless told otherwise. */
export const DEFAULT_WORKERS = 2;

/**
 * Result buffers of big segments (the seal workers make them, the backup pool recycles them) are made at least this big and come back to be reused (recycle):
 * a fresh multi-MiB buffer per segment cost the worker a page fault per 4 KiB it filled.
 */
export const RESULT_BUFFER = 12 * 1024 * 1024;

/** The first message every engine worker gets. */
export interface InitMessage<T> {
  init: T;
}

const waiting = new Map<WorkerScript, Worker[]>();

/**
 * Each worker thread's young generation, in MiB. V8 grows a busy thread's to 32 MiB (two 16 MiB
 * semi-spaces), all of it resident; a worker's garbage is short-lived job messages and results, and
 * 8 MiB holds them. A first backup of 1,000,000 small files (two seal workers) peaked at 238 MiB
 * against 278 and ran 35.7 s against 39.1 (docs/benchmarks.md); the 1 GiB first backup took 2.92 s
 * against 3.00 s (8 rounds interleaved), its cold restore 2.42 s against 2.48 s (4 rounds).
 */
export const WORKER_YOUNG_GENERATION_MB = 8;
const WORKER_OPTIONS = { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } };

/** Starts `n` workers for `script` (fewer if some already wait) for a later `startWorkers`. */
export function prestartWorkers(script: WorkerScript, n = DEFAULT_WORKERS): void {
  const list = waiting.get(script) ?? [];
  waiting.set(script, list);
  while (list.length < n) {
    const w = new Worker(join(__dirname, script), WORKER_OPTIONS);
    w.unref();
    // a waiting worker that fails or ends is not handed out
    const drop = (): void => {
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
    };
    w.once('error', drop);
    w.once('exit', drop);
    list.push(w);
  }
}

/** `n` workers running `script`, prestarted ones first, each sent `{ init }` as its first message. */
export function startWorkers<T>(script: WorkerScript, n: number, init: T): Worker[] {
  const out = (waiting.get(script) ?? []).splice(0, n);
  while (out.length < n) out.push(new Worker(join(__dirname, script), WORKER_OPTIONS));
  const msg: InitMessage<T> = { init };
  for (const w of out) {
    w.ref();
    w.postMessage(msg);
  }
  return out;
}

/**
 * Jobs a worker holds at once: the one it runs and the next, already in its message queue, so it
 * goes on without waiting for the main thread to hear its reply.
 */
export const DEPTH = 2;

/** The worker holding the fewest jobs, if one holds fewer than DEPTH; ties go to the first. */
export function leastBusy<J>(inflight: Map<Worker, J[]>): { worker: Worker; holds: number } | null {
  let best: { worker: Worker; holds: number } | null = null;
  for (const [worker, jobs] of inflight) {
    if (jobs.length < (best?.holds ?? DEPTH)) best = { worker, holds: jobs.length };
  }
  return best;
}

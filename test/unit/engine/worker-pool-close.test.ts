/**
 * Closing a seal worker pool never terminates a busy thread: each thread is told to end and ends by
 * itself (exit code 0). A thread terminated while it made its first zstd context aborted the whole
 * process on Node 24 ("terminate called after throwing an instance of 'Napi::Error'", about once in
 * 450 pools closed at random moments, once in 28 runs of lock-set.test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { WorkerPool } from '../../../src/engine/worker-pool';
import { tempDir } from '../../helpers/temp';

function threadsOf(pool: WorkerPool): Worker[] {
  return (pool as unknown as { workers: Worker[] }).workers;
}

test('a pool closed mid-work lets its threads finish and end by themselves', async () => {
  const dir = tempDir('baton-pool-close-');
  const file = join(dir.path, 'text');
  let text = '';
  for (let i = 0; text.length < 4 << 20; i++) text += `line ${i} of a compressible file\n`;
  writeFileSync(file, text);
  const { dev, ino } = statSync(file, { bigint: true });
  // close before the threads start, at the first cut (the thread is about to make its zstd
  // context), and while both threads hold two segments each
  for (const closeAt of ['at once', 'first cut', 'busy'] as const) {
    const pool = new WorkerPool(Buffer.alloc(32, 7), 2, { version: 5 });
    let cut!: () => void;
    const firstCut = new Promise<void>((resolve) => (cut = resolve));
    const jobs = [0, 1, 2, 3].map((n) =>
      pool
        .segment({ path: file, offset: n << 20, target: 1 << 20, dev, ino }, () => cut())
        .then(
          () => 'done',
          (err: Error) => err.constructor.name,
        ),
    );
    const exits = threadsOf(pool).map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
    if (closeAt === 'first cut') await firstCut;
    if (closeAt === 'busy') await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await pool.close(), { terminated: 0 }, closeAt);
    assert.deepEqual(await Promise.all(exits), [0, 0], `${closeAt}: every thread ended by itself`);
    for (const outcome of await Promise.all(jobs)) assert.ok(['done', 'AbortedError'].includes(outcome), outcome);
  }
  dir.cleanup();
});

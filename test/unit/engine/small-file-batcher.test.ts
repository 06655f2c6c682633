import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BATCH_BYTES, BATCH_FILES, BATCH_MIN_FILES, SmallFileBatcher } from '../../../src/engine/small-file-batcher';
import type { SealResult, SegmentJob } from '../../../src/engine/seal-worker';

type Job = Omit<SegmentJob, 'kind'>;

/** A pool that records each batch and answers it when told to. */
function fakePool() {
  const batches: { jobs: Job[]; answer: () => void; fail: (e: Error) => void }[] = [];
  return {
    batches,
    hasIdleWorker: false,
    batch(jobs: Job[]): Promise<SealResult[]> {
      return new Promise((resolve, reject) => {
        const answer = (): void =>
          resolve(jobs.map((j) => ({ offset: j.offset, chunks: [], data: Buffer.from(j.path), eof: true })));
        batches.push({ jobs, answer, fail: reject });
      });
    },
  };
}

const job = (path: string): Job => ({ path, offset: 0, target: 1 << 20, stat: true });

void test('a batch goes out when it holds BATCH_FILES files, each result to its own file', async () => {
  const pool = fakePool();
  const b = new SmallFileBatcher(pool);
  const results = Array.from({ length: BATCH_FILES + 1 }, (_, i) => b.add(10, job(`f${i}`)));
  assert.equal(pool.batches.length, 1);
  assert.equal(pool.batches[0].jobs.length, BATCH_FILES);
  assert.equal(b.filling, 1, 'the next file went into batch 1');
  pool.batches[0].answer();
  for (let i = 0; i < BATCH_FILES; i++) assert.equal(Buffer.from((await results[i]).data).toString(), `f${i}`);
  b.send();
  assert.equal(pool.batches.length, 2);
  assert.deepEqual(
    pool.batches[1].jobs.map((j) => j.path),
    [`f${BATCH_FILES}`],
  );
  b.send();
  assert.equal(pool.batches.length, 2, 'an empty batch is never sent');
  assert.equal(b.filling, 2);
});

void test('a batch goes out when its files reach BATCH_BYTES', () => {
  const pool = fakePool();
  const b = new SmallFileBatcher(pool);
  void b.add(BATCH_BYTES - 1, job('a'));
  assert.equal(pool.batches.length, 0);
  void b.add(1, job('b'));
  assert.equal(pool.batches.length, 1);
  assert.equal(pool.batches[0].jobs.length, 2);
});

void test('a failed batch fails every file in it', async () => {
  const pool = fakePool();
  const b = new SmallFileBatcher(pool);
  const r = [b.add(1, job('a')), b.add(1, job('b'))];
  b.send();
  pool.batches[0].fail(new Error('worker died'));
  for (const p of r) await assert.rejects(p, /worker died/);
});

void test('a part-filled batch goes to an idle worker only once it is not tiny, or the walk is done', () => {
  const pool = fakePool();
  const b = new SmallFileBatcher(pool);
  for (let i = 0; i < BATCH_MIN_FILES - 1; i++) void b.add(1, job(`f${i}`));
  b.sendIfIdle(false);
  assert.equal(pool.batches.length, 0, 'no worker is idle');
  pool.hasIdleWorker = true;
  b.sendIfIdle(false);
  assert.equal(pool.batches.length, 0, 'too few files');
  b.sendIfIdle(true);
  assert.equal(pool.batches.length, 1, 'the walk is done: nothing more will come');
  for (let i = 0; i < BATCH_MIN_FILES; i++) void b.add(1, job(`g${i}`));
  b.sendIfIdle(false);
  assert.equal(pool.batches.length, 2);
});

void test('a file wanted now sends the batch it waits in, not a batch already sent', () => {
  const pool = fakePool();
  const b = new SmallFileBatcher(pool);
  void b.add(1, job('a'));
  const first = b.filling;
  b.sendIfFilling(undefined);
  assert.equal(pool.batches.length, 0, 'a file with a reader of its own waits in no batch');
  b.sendIfFilling(first);
  assert.equal(pool.batches.length, 1);
  void b.add(1, job('b'));
  b.sendIfFilling(first);
  assert.equal(pool.batches.length, 1, 'batch 0 went out already; b waits for its own batch');
});

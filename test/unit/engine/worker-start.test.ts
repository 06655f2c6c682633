import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerPool } from '../../../src/engine/worker-pool';
import { KnownIds } from '../../../src/engine/known-ids';
import { decodeBlob } from '../../../src/engine/blob';
import {
  DEPTH,
  WORKER_YOUNG_GENERATION_MB,
  leastBusy,
  prestartWorkers,
  startWorkers,
} from '../../../src/engine/worker-start';
import type { Worker } from 'node:worker_threads';
import type { WorkerInit, WorkerMessage } from '../../../src/engine/seal-worker';
import { prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test('prestarted workers serve a pool, with the key it was given (encrypted blobs decode with it)', async () => {
  const tmp = tempDir();
  prestartWorkers('seal-worker.js', 2);
  const key = randomBytes(32);
  const pool = new WorkerPool(key, 2, { known: new KnownIds({ capacity: 16 }).table });
  try {
    writeFileSync(`${tmp.path}/a`, prng('a', 5000));
    const [r] = await pool.batch([{ path: `${tmp.path}/a`, offset: 0, target: 1 << 20, stat: true }]);
    const c = r.chunks[0];
    assert.deepEqual(decodeBlob(key, r.data.subarray(c.start, c.start + c.length), c, 't'), prng('a', 5000));
    // a blob sealed with some other key (or none) would not open with this one
    assert.throws(() => decodeBlob(randomBytes(32), r.data.subarray(c.start, c.start + c.length), c, 't'));
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('worker threads, prestarted or not, run with a young generation of WORKER_YOUNG_GENERATION_MB', async () => {
  prestartWorkers('seal-worker.js', 1);
  const init: WorkerInit = { key: null, version: 6, level: 2, known: null, idKey: null, gear: null };
  const workers = startWorkers('seal-worker.js', 2, init);
  const ended = workers.map((w) => new Promise((res) => w.once('exit', res)));
  try {
    assert.equal(WORKER_YOUNG_GENERATION_MB, 8);
    for (const w of workers) assert.equal(w.resourceLimits?.maxYoungGenerationSizeMb, WORKER_YOUNG_GENERATION_MB);
  } finally {
    const close: WorkerMessage = { close: true };
    for (const w of workers) w.postMessage(close);
    await Promise.all(ended);
  }
});

void test('the worker scripts load no scrypt native module (only a derivation does, on the main thread)', () => {
  const engine = join(__dirname, '../../../src/engine');
  const script =
    `const dlopen = process.dlopen; const seen = [];` +
    `process.dlopen = (m, f) => (seen.push(f), dlopen(m, f));` +
    `require(${JSON.stringify(join(engine, 'seal-worker.js'))}); require(${JSON.stringify(join(engine, 'restore-worker.js'))});` +
    `console.log(JSON.stringify(seen));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const loaded = JSON.parse(r.stdout) as string[];
  assert.ok(
    loaded.some((f) => f.endsWith('aes_gcm.node')),
    `the hook saw no native module: ${r.stdout}`,
  );
  assert.deepEqual(
    loaded.filter((f) => f.includes('scrypt')),
    [],
  );
});

void test('a process that prestarts workers and never uses them still exits by itself', () => {
  const script = `require(${JSON.stringify(join(__dirname, '../../../src/engine/worker-start.js'))}).prestartWorkers('restore-worker.js', 2);`;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 20_000 });
  assert.equal(r.signal, null, 'killed by the timeout: the waiting workers kept it alive');
  assert.equal(r.status, 0);
});

void test('leastBusy picks the worker holding fewest jobs (the first on a tie), none once all hold DEPTH', () => {
  const [a, b] = [{}, {}] as unknown as Worker[];
  assert.deepEqual(
    leastBusy(
      new Map([
        [a, [1]],
        [b, []],
      ]),
    ),
    { worker: b, holds: 0 },
  );
  assert.equal(
    leastBusy(
      new Map([
        [a, [1]],
        [b, [2]],
      ]),
    )?.worker,
    a,
  );
  assert.equal(
    leastBusy(
      new Map([
        [a, Array(DEPTH).fill(0)],
        [b, Array(DEPTH).fill(0)],
      ]),
    ),
    null,
  );
  assert.equal(leastBusy(new Map()), null);
});

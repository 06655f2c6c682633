import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { WorkerPool } from '../../../src/engine/worker-pool';
import { RESULT_BUFFER } from '../../../src/engine/worker-start';
import { KnownIds } from '../../../src/engine/known-ids';
import { chunkLengths } from '../../../src/engine/chunker';
import { decodeBlob } from '../../../src/engine/blob';
import { contentId } from '../../../src/engine/hash';
import { blobAad } from '../../../src/engine/config';
import { CorruptionError } from '../../../src/engine/errors';
import type { SealResult } from '../../../src/engine/seal-worker';
import { prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

/** Runs a file through segment jobs, each started from the previous one's early cut message. */
async function segments(pool: WorkerPool, path: string, target: number): Promise<SealResult[]> {
  const results: Promise<SealResult>[] = [];
  let offset = 0;
  for (;;) {
    let early: { nextOffset: number; eof: boolean } | null = null;
    const res = pool.segment({ path: Buffer.from(path).toString('latin1'), offset, target }, (cut) => (early = cut));
    results.push(res);
    const done = await res;
    assert.ok(early, 'the cut is reported before the result');
    const cut = early as { nextOffset: number; eof: boolean };
    assert.equal(cut.nextOffset, done.nextOffset);
    if (cut.eof) break;
    offset = cut.nextOffset;
  }
  return Promise.all(results);
}

void test('segment jobs cut exactly as a whole-buffer cut, and every sealed chunk decodes to its bytes', async () => {
  const tmp = tempDir();
  const key = randomBytes(32);
  const pool = new WorkerPool(key, 2, { known: new KnownIds({ capacity: 16 }).table });
  try {
    const data = Buffer.concat([prng('seg', 13 * MiB), Buffer.alloc(3 * MiB, 'text line\n')]);
    const path = `${tmp.path}/f`;
    writeFileSync(path, data);
    const results = await segments(pool, path, 4 * MiB);
    assert.ok(results.length >= 3, 'more than one segment');
    const chunks = results.flatMap((r) => r.chunks.map((c) => ({ c, data: Buffer.from(r.data) })));
    assert.deepEqual(
      chunks.map((x) => x.c.rawLength),
      chunkLengths(data),
    );
    let at = 0;
    for (const { c, data: sealed } of chunks) {
      const plain = data.subarray(at, at + c.rawLength);
      assert.equal(c.known, undefined);
      assert.equal(c.id, contentId(plain));
      assert.deepEqual(decodeBlob(key, sealed.subarray(c.start, c.start + c.length), c, 'test'), plain);
      at += c.rawLength;
    }
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('chunks in the known table are hashed but not sealed', async () => {
  const tmp = tempDir();
  const known = new KnownIds({ capacity: 16 });
  const pool = new WorkerPool(randomBytes(32), 2, { known: known.table });
  try {
    const data = prng('known', 6 * MiB);
    const path = `${tmp.path}/f`;
    writeFileSync(path, data);
    const lengths = chunkLengths(data);
    let at = 0;
    const ids = lengths.map((len) => contentId(data.subarray(at, (at += len))));
    // the table knows every chunk but the last
    for (const id of ids.slice(0, -1)) known.add(id);
    const results = await segments(pool, path, 64 * MiB);
    const chunks = results.flatMap((r) => r.chunks);
    assert.deepEqual(
      chunks.map((c) => c.id),
      ids,
    );
    assert.ok(chunks.slice(0, -1).every((c) => c.known === true && c.length === 0));
    const last = chunks[chunks.length - 1];
    assert.equal(last.known, undefined);
    assert.ok(last.length > 0);
    assert.equal(
      results.reduce((n, r) => n + r.data.byteLength, 0),
      last.length,
      'only the new chunk was sealed',
    );
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('a batch of small files comes back per file, with each file’s stat; a missing file fails alone', async () => {
  const tmp = tempDir();
  const pool = new WorkerPool(null, 2, { known: new KnownIds({ capacity: 16 }).table });
  try {
    const paths: string[] = [];
    for (let i = 0; i < 40; i++) {
      const p = `${tmp.path}/s${i}`;
      writeFileSync(p, prng(`s${i}`, 100 + i * 50));
      paths.push(p);
    }
    paths.splice(7, 0, `${tmp.path}/missing`);
    const results = await pool.batch(
      paths.map((p) => ({ path: Buffer.from(p).toString('latin1'), offset: 0, target: MiB, stat: true })),
    );
    assert.equal(results.length, 41);
    assert.equal(results[7].error?.code, 'ENOENT');
    results.forEach((r, i) => {
      if (i === 7) return;
      const n = i < 7 ? i : i - 1;
      assert.equal(r.error, undefined);
      assert.equal(r.eof, true);
      assert.equal(r.stat?.size, BigInt(100 + n * 50));
      assert.equal(r.chunks.length, 1);
      assert.deepEqual(
        decodeBlob(null, r.data.subarray(r.chunks[0].start, r.chunks[0].start + r.chunks[0].length), r.chunks[0], 't'),
        prng(`s${n}`, 100 + n * 50),
      );
    });
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('jobs queued at one worker (it holds the next while it runs one) come back each to its own caller', async () => {
  const tmp = tempDir();
  const pool = new WorkerPool(null, 1, { known: new KnownIds({ capacity: 16 }).table });
  try {
    const sizes = [3 * MiB, 1000, 2 * MiB, 10, 5000];
    sizes.forEach((n, i) => writeFileSync(`${tmp.path}/f${i}`, prng(`q${i}`, n)));
    // all posted at once: the worker gets two, the rest wait in the pool
    const results = await Promise.all(
      sizes.map((_, i) =>
        i % 2 === 0
          ? pool.segment({ path: `${tmp.path}/f${i}`, offset: 0, target: 8 * MiB, stat: true })
          : pool.batch([{ path: `${tmp.path}/f${i}`, offset: 0, target: MiB, stat: true }]).then((r) => r[0]),
      ),
    );
    results.forEach((r, i) => {
      assert.equal(r.stat?.size, BigInt(sizes[i]));
      const plain = Buffer.concat(
        r.chunks.map((c) => decodeBlob(null, r.data.subarray(c.start, c.start + c.length), c, 't')),
      );
      assert.deepEqual(plain, prng(`q${i}`, sizes[i]));
    });
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('a recycled result buffer is handed to the next segment job and filled again', async () => {
  const tmp = tempDir();
  const key = randomBytes(32);
  const pool = new WorkerPool(key, 1, { known: new KnownIds({ capacity: 16 }).table });
  try {
    const a = prng('first', 6 * MiB);
    const b = prng('second', 6 * MiB);
    writeFileSync(`${tmp.path}/a`, a);
    writeFileSync(`${tmp.path}/b`, b);
    const job = (name: string) => ({ path: `${tmp.path}/${name}`, offset: 0, target: 16 * MiB });
    const first = await pool.segment(job('a'));
    const spent = first.data.buffer;
    assert.ok(spent instanceof SharedArrayBuffer, 'big results come in shared memory, not transferred');
    assert.ok(spent.byteLength >= RESULT_BUFFER, 'big results get a reusable buffer');
    pool.recycle(spent);
    const second = await pool.segment(job('b'));
    assert.ok(second.data.buffer instanceof SharedArrayBuffer);
    assert.ok(second.data.buffer.byteLength >= RESULT_BUFFER);
    // the reused buffer holds the second file's blobs, not leftovers of the first
    let at = 0;
    for (const c of second.chunks) {
      const sealed = Buffer.from(second.data.subarray(c.start, c.start + c.length));
      assert.deepEqual(decodeBlob(key, sealed, c, 'test'), b.subarray(at, at + c.rawLength));
      at += c.rawLength;
    }
    assert.equal(at, b.length);
    // the same memory, filled again: a byte written through one view shows through the other
    const view = new Uint8Array(second.data.buffer);
    view[0] ^= 0xff;
    assert.equal(new Uint8Array(spent)[0], view[0], 'the second result is in the recycled buffer');
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('when every worker has died, queued and later jobs fail instead of waiting forever', async () => {
  const pool = new WorkerPool(null, 1, { known: new KnownIds({ capacity: 16 }).table });
  try {
    // a message the worker cannot handle kills its thread (the pool's own jobs never do)
    const run = (pool as unknown as { run(job: unknown): Promise<unknown> }).run.bind(pool);
    const killer = run({ kind: 'batch', paths: 'a', numbers: 5 });
    const queued = [run({ kind: 'batch', paths: '' }), run({ kind: 'batch', paths: '' })];
    await assert.rejects(killer);
    for (const q of queued) await assert.rejects(q);
    await assert.rejects(pool.batch([]));
  } finally {
    await pool.close();
  }
});

void test('a pool starts its threads with its first job, with the KnownIds table it was last given', async () => {
  const tmp = tempDir();
  const first = new KnownIds({ capacity: 16 });
  const pool = new WorkerPool(null, 2, { known: first.table });
  try {
    assert.equal(pool.threads, 0);
    assert.equal(pool.hasIdleWorker, true);
    // the table grows before any worker exists: the workers must start with the new one
    const data = prng('lazy', 3000);
    const grown = new KnownIds({ capacity: 16 });
    grown.add(contentId(data));
    pool.setKnown(grown.table);
    writeFileSync(`${tmp.path}/f`, data);
    const [r] = await pool.batch([{ path: `${tmp.path}/f`, offset: 0, target: MiB, stat: true }]);
    assert.equal(pool.threads, 2);
    assert.equal(r.chunks[0].known, true, 'the chunk was in the table given before the start');
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('for a version 5 drive the workers seal each chunk bound to its ID as data; version 4 unbound', async () => {
  const tmp = tempDir();
  const key = randomBytes(32);
  const data = Buffer.concat([prng('a', 700_000), prng('b', 700_000)]);
  const path = `${tmp.path}/f`;
  writeFileSync(path, data);
  try {
    for (const version of [5, 4]) {
      const pool = new WorkerPool(key, 1, { known: new KnownIds({ capacity: 16 }).table, version });
      try {
        const [r] = await segments(pool, path, 4 * MiB);
        assert.ok(r.chunks.length >= 2);
        const [c, other] = r.chunks;
        const sealed = Buffer.from(r.data).subarray(c.start, c.start + c.length);
        const bound = blobAad(version, 'data', c.id);
        assert.deepEqual(decodeBlob(key, sealed, c, 'p', false, bound), data.subarray(0, c.rawLength));
        if (version === 5) {
          assert.throws(() => decodeBlob(key, sealed, c, 'p'), CorruptionError, 'read unbound');
          assert.throws(
            () => decodeBlob(key, sealed, c, 'p', false, blobAad(5, 'tree', c.id)),
            /failed authentication/,
          );
          assert.throws(
            () => decodeBlob(key, sealed, { ...c, id: other.id }, 'p', false, blobAad(5, 'data', other.id)),
            new RegExp(`blob ${other.id} in p failed authentication`),
          );
        } else {
          assert.equal(bound, undefined);
        }
      } finally {
        await pool.close();
      }
    }
  } finally {
    tmp.cleanup();
  }
});

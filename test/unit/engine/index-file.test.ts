/**
 * The compact blob index: the shared ID table (KnownIds, also read by worker threads while the
 * main thread adds) and BlobIndex's locations, pending blobs and packs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { KnownIds, isId } from '../../../src/engine/known-ids';
import type { KnownTable } from '../../../src/engine/known-ids';
import { BlobIndex } from '../../../src/engine/index-file';
import type { IndexPack } from '../../../src/engine/index-file';
import { CorruptionError } from '../../../src/engine/errors';
import type { Drive } from '../../../src/engine/drive';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
/** IDs that often share their first word (and so their first slot) but differ after it */
const clashingId = fc
  .tuple(fc.constantFrom('00000000', 'ffffffff', '8000000a'), fc.uint8Array({ minLength: 28, maxLength: 28 }))
  .map(([head, rest]) => head + Buffer.from(rest).toString('hex'));

void test('property: KnownIds finds every added ID at its first entry and nothing else, across growth', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(hexId, clashingId), { minLength: 1, maxLength: 3000 }),
      fc.array(hexId, { maxLength: 50 }),
      (ids, others) => {
        const k = new KnownIds({ capacity: 0 });
        const first = new Map<string, number>();
        ids.forEach((id, i) => {
          assert.equal(k.add(id), i);
          if (!first.has(id)) first.set(id, i);
        });
        assert.equal(k.size, ids.length);
        assert.equal(k.distinct, first.size);
        const bytes = Buffer.alloc(35);
        for (const [id, e] of first) {
          assert.equal(k.find(id), e);
          assert.equal(k.hex(e), id);
          bytes.write(id, 3, 'hex');
          assert.equal(k.findAt(bytes, 3), e, 'found from its bytes');
        }
        ids.forEach((id, e) => assert.equal(k.hex(e), id, 'a repeated ID still has its own entry'));
        for (const id of others) {
          assert.equal(k.has(id), first.has(id));
          bytes.write(id, 3, 'hex');
          assert.equal(k.findAt(bytes, 3) >= 0, first.has(id), 'looked up from its bytes');
        }
        const buf = Buffer.alloc(40);
        k.copyId(0, buf, 8);
        assert.equal(buf.toString('hex', 8), ids[0]);
      },
    ),
    { numRuns: 40, seed: 11 },
  );
});

void test('isId accepts 64 lowercase hex digits only', () => {
  assert.ok(isId('0123456789abcdef'.repeat(4)));
  for (const bad of ['', 'ab', '0123456789ABCDEF'.repeat(4), 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 7, null]) {
    assert.equal(isId(bad), false, String(bad));
  }
});

void test('a worker thread reading the table while the main thread adds never sees a missing or invented ID', async () => {
  const n = 60_000;
  const ids = Array.from({ length: n }, () => randomBytes(32).toString('hex'));
  const absent = Array.from({ length: 1000 }, () => randomBytes(32).toString('hex'));
  const k = new KnownIds({ capacity: 0 });
  const knownIds = join(__dirname, '../../../src/engine/known-ids.js');
  // the worker checks, with the newest table it was handed, every ID the main thread said it added
  // and, while the main thread goes on adding, IDs never added
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const { KnownIds } = require(${JSON.stringify(knownIds)});
    const { ids, absent } = workerData;
    let k = new KnownIds({ table: workerData.table });
    let checked = 0, lookups = 0, problems = [];
    parentPort.on('message', (m) => {
      if (m.table) { k = new KnownIds({ table: m.table }); return; }
      for (; checked < m.upTo; checked++) { lookups++; if (!k.has(ids[checked])) problems.push('missing ' + checked); }
      // IDs the main thread may be adding right now: found or not, never a torn read
      for (let i = 0; i < 200; i++) k.has(ids[(Math.random() * ids.length) | 0]);
      for (let i = 0; i < 200; i++) { lookups++; if (k.has(absent[(Math.random() * absent.length) | 0])) problems.push('invented ' + i); }
      if (m.done) parentPort.postMessage({ problems: problems.slice(0, 5), lookups });
    });
    `,
    { eval: true, workerData: { ids, absent, table: k.table } },
  );
  let grown = 0;
  k.onGrown = (table: KnownTable) => {
    grown++;
    worker.postMessage({ table });
  };
  const result = new Promise<{ problems: string[]; lookups: number }>((res, rej) => {
    worker.once('message', res);
    worker.once('error', rej);
  });
  try {
    for (let at = 0; at < n; at += 500) {
      for (let i = at; i < at + 500; i++) k.add(ids[i]);
      worker.postMessage({ upTo: at + 500, done: at + 500 >= n });
      // let the worker run beside the next batch
      await new Promise((r) => setImmediate(r));
    }
    const { problems, lookups } = await result;
    assert.deepEqual(problems, []);
    assert.ok(lookups >= n, `${lookups} lookups`);
    assert.ok(grown >= 6, `the slot table grew ${grown} times while the worker read it`);
  } finally {
    await worker.terminate();
  }
});

const driveA = { id: 'a', path: '/a' } as Drive;
const driveB = { id: 'b', path: '/b' } as Drive;

const packArb = fc.record({
  id: hexId,
  length: fc.nat(),
  blobs: fc.array(
    fc.record({
      id: fc.oneof(hexId, fc.constantFrom('1'.repeat(64), '2'.repeat(64))),
      type: fc.constantFrom('data' as const, 'tree' as const),
      offset: fc.nat(),
      length: fc.nat(),
      rawLength: fc.nat(),
      compressed: fc.boolean(),
    }),
    { maxLength: 40 },
  ),
});

void test('property: BlobIndex answers like a map from ID to its first location; packs give back their blobs and JSON', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(packArb, fc.boolean()), { maxLength: 30 }), (generated) => {
      // plain objects, as index files give (fast-check's records may have no prototype)
      const packs = JSON.parse(JSON.stringify(generated)) as [IndexPack, boolean][];
      const idx = new BlobIndex();
      const first = new Map<string, { drive: Drive; pack: IndexPack; n: number }>();
      for (const [p, onB] of packs) {
        const drive = onB ? driveB : driveA;
        idx.addPack(drive, p);
        p.blobs.forEach((b, n) => {
          if (!first.has(b.id)) first.set(b.id, { drive, pack: p, n });
        });
      }
      assert.equal(idx.size, first.size);
      assert.deepEqual(new Set(idx.ids()), new Set(first.keys()));
      for (const [id, want] of first) {
        assert.ok(idx.has(id) && idx.knows(id));
        const loc = idx.get(id);
        assert.ok(loc);
        assert.equal(loc.drive, want.drive);
        assert.equal(loc.pack.id, want.pack.id);
        assert.deepEqual(loc.blob, want.pack.blobs[want.n]);
        assert.equal(idx.packOf(id)?.pack, loc.pack);
        assert.equal(idx.idOf(idx.entryOf(id)), id);
        assert.equal(idx.entryAt(Buffer.from(id, 'hex'), 0), idx.entryOf(id));
        assert.equal(idx.packAt(idx.entryOf(id)), idx.packOf(id));
      }
      assert.equal(idx.get(randomBytes(32).toString('hex')), undefined);
      for (const [p] of packs) {
        const got = idx.packs.get(p.id)?.pack;
        assert.ok(got);
        if (packs.filter(([q]) => q.id === p.id).length > 1) continue; // the last one added wins
        assert.deepEqual(got.blobs, p.blobs);
        assert.equal(JSON.stringify(got), JSON.stringify(p));
      }
    }),
    { numRuns: 60, seed: 3 },
  );
});

void test('pending blobs are known but not indexed until their pack is settled; tape locations survive JSON', () => {
  const idx = new BlobIndex();
  idx.addPack(driveA, { id: 'c'.repeat(64), length: 10, blobs: [] });
  const ids = Array.from({ length: 5000 }, () => randomBytes(32).toString('hex'));
  const firstEntry = idx.addPending(ids[0], { type: 'data', offset: 8, length: 3, rawLength: 5, compressed: true });
  ids
    .slice(1)
    .forEach((id, i) =>
      idx.addPending(id, { type: 'tree', offset: 11 + i, length: 1, rawLength: 1, compressed: false }),
    );
  assert.ok(idx.knows(ids[0]) && !idx.has(ids[0]) && idx.get(ids[0]) === undefined && idx.size === 0);
  assert.equal(idx.entryAt(Buffer.from(ids[0], 'hex'), 0), -1, 'a pending blob has no entry of a written pack');
  const pack = idx.settle(driveB, { id: 'd'.repeat(64), length: 99, volume: 2, offset: 4096 }, firstEntry, 5000);
  assert.equal(idx.size, 5000);
  assert.deepEqual(idx.get(ids[0]), {
    drive: driveB,
    pack,
    blob: { id: ids[0], type: 'data', offset: 8, length: 3, rawLength: 5, compressed: true },
  });
  assert.equal(pack.blobs.length, 5000);
  const json = JSON.parse(JSON.stringify(pack)) as IndexPack;
  assert.deepEqual(Object.keys(json), ['id', 'length', 'volume', 'offset', 'blobs']);
  assert.equal(json.blobs[4999].id, ids[4999]);
  assert.throws(() => idx.settle(driveB, { id: 'e'.repeat(64), length: 1 }, firstEntry, firstEntry + 1), /not pending/);
});

void test('an index listing a malformed blob ID is refused as corrupt', () => {
  const idx = new BlobIndex();
  const blob = { id: 'not-an-id', type: 'data' as const, offset: 8, length: 1, rawLength: 1, compressed: false };
  assert.throws(() => idx.addPack(driveA, { id: 'f'.repeat(64), length: 9, blobs: [blob] }), CorruptionError);
});

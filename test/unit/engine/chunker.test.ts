import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  AVG_CHUNK,
  GEAR_TABLE_SHA256,
  MAX_CHUNK,
  MIN_CHUNK,
  ChunkBuffer,
  chunkLengths,
  gearTableBytes,
} from '../../../src/engine/chunker';
import { prng } from '../../helpers/engine';

void test('gear table matches the pinned digest in docs/repository-format.md', () => {
  assert.equal(createHash('sha256').update(gearTableBytes()).digest('hex'), GEAR_TABLE_SHA256);
  assert.equal(GEAR_TABLE_SHA256, 'd4335c8f90f3ff836e5269a1c970c719ea042a21b3dd0ee95b378b82bb94c2ae');
});

void test('cut points of a fixed pseudo-random stream are pinned (format v1)', () => {
  assert.deepEqual(
    chunkLengths(prng('baton-test', 24 << 20)),
    [
      1064070, 1639295, 1117157, 1049804, 1182220, 1515466, 833541, 1070198, 1384152, 1221597, 1222124, 1467073,
      1072950, 1350949, 1250296, 1236603, 1490642, 1135700, 1219615, 1161720, 480652,
    ],
  );
});

void test('low-entropy data is cut at the maximum size', () => {
  assert.deepEqual(chunkLengths(Buffer.alloc(20 << 20)), [MAX_CHUNK, MAX_CHUNK, 4 << 20]);
});

void test('small inputs are one chunk, empty input none', () => {
  assert.deepEqual(chunkLengths(Buffer.alloc(0)), []);
  assert.deepEqual(chunkLengths(Buffer.alloc(1000, 7)), [1000]);
  assert.equal(new ChunkBuffer(1000).findCut(0, 1000, false), -1);
});

void test('property: chunks cover the input, respect min/max, and restart identically at any boundary', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 10 * 1024 * 1024 }), (seed, n) => {
      const data = prng(seed, n);
      const lens = chunkLengths(data);
      assert.equal(
        lens.reduce((a, b) => a + b, 0),
        n,
      );
      lens.forEach((l, i) => {
        assert.ok(l <= MAX_CHUNK);
        if (i < lens.length - 1) assert.ok(l > MIN_CHUNK);
      });
      // restarting from a boundary (as a resumed backup does) gives the same following cuts
      if (lens.length > 1) {
        const off = lens[0];
        assert.deepEqual(chunkLengths(data.subarray(off)), lens.slice(1));
      }
      // feeding data in pieces (as the worker does) gives the same cuts: -1 until decidable
      const cb = new ChunkBuffer(n);
      cb.bytes.set(data);
      let pos = 0;
      const streamed: number[] = [];
      let avail = Math.min(n, AVG_CHUNK);
      while (pos < n) {
        const len = cb.findCut(pos, avail, avail === n);
        if (len < 0) {
          avail = Math.min(n, avail + AVG_CHUNK);
          continue;
        }
        streamed.push(len);
        pos += len;
      }
      assert.deepEqual(streamed, lens);
    }),
    { numRuns: 25, seed: 42 },
  );
});

/** The format's cut rule written out plainly (docs/repository-format.md), to check the fast one against. */
function referenceCut(data: Uint8Array, start: number): number {
  const n = data.length - start;
  if (n <= MIN_CHUNK) return n;
  const gear = gearTableBytes();
  let h = 0;
  for (let i = MIN_CHUNK; i < Math.min(n, MAX_CHUNK); i++) {
    h = (h * 2 + gear.readUInt32BE(data[start + i] * 4)) % 2 ** 32;
    const mask = i < AVG_CHUNK ? 0xfffffc00 : 0xffffc000;
    if ((h & mask) === 0) return i + 1;
  }
  return Math.min(n, MAX_CHUNK);
}

void test('property: cuts equal the plainly written rule (low-entropy runs reach the large mask and the maximum)', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 8 }),
      fc.integer({ min: 0, max: 12 * 1024 * 1024 }),
      fc.nat(255),
      (seed, n, z) => {
        // random bytes with a zero run: somewhere the hash cannot cut for a while
        const data = prng(seed, n);
        data.fill(0, Math.floor(n / 3), Math.min(n, Math.floor(n / 3) + z * 32 * 1024));
        const expected: number[] = [];
        for (let pos = 0; pos < n;) {
          const len = referenceCut(data, pos);
          expected.push(len);
          pos += len;
        }
        assert.deepEqual(chunkLengths(data), expected);
      },
    ),
    { numRuns: 12, seed: 7 },
  );
});

void test('a ChunkBuffer keeps its contents when it grows, and cuts the same after', () => {
  const data = prng('grow', 12 << 20);
  const cb = new ChunkBuffer(1000);
  cb.bytes.set(data.subarray(0, 1000));
  cb.reserve(data.length);
  assert.deepEqual(cb.bytes.subarray(0, 1000), data.subarray(0, 1000));
  cb.bytes.set(data.subarray(1000), 1000);
  const cuts: number[] = [];
  for (let pos = 0; pos < data.length;) {
    const len = cb.findCut(pos, data.length, true);
    cuts.push(len);
    pos += len;
  }
  assert.deepEqual(cuts, chunkLengths(data));
});

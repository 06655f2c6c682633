import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { PackBuilder, parsePack } from '../../../src/engine/pack';
import { decodeBlob, decodeJson, encodeBlob, encodeJson, looksCompressible } from '../../../src/engine/blob';
import { CorruptionError } from '../../../src/engine/errors';
import { contentId, contentIdOfParts } from '../../../src/engine/hash';
import { BlobIndex, encodeIndex, readIndexFiles } from '../../../src/engine/index-file';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

for (const encrypted of [true, false]) {
  void test(`property: packs round-trip their blobs (${encrypted ? 'encrypted' : 'plain'})`, () => {
    const key = encrypted ? randomBytes(32) : null;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 30 }), (blobs) => {
        const b = new PackBuilder();
        const enc = blobs.map((x) => encodeBlob(key, x));
        enc.forEach((e) => b.add(e.id, 'data', e.data, e.rawLength, e.compressed));
        const { id, data, blobs: entries } = b.finish(key);
        const parsed = parsePack(key, data, id);
        assert.deepEqual(parsed, entries);
        parsed.forEach((p, i) => {
          const plain = decodeBlob(key, data.subarray(p.offset, p.offset + p.length), p, 'pack');
          assert.deepEqual(new Uint8Array(plain), blobs[i]);
        });
      }),
      { numRuns: 60, seed: 7 },
    );
  });
}

void test('compressible blobs are stored compressed, incompressible ones raw', () => {
  assert.equal(encodeBlob(null, Buffer.alloc(10000, 1)).compressed, true);
  assert.equal(encodeBlob(null, randomBytes(10000)).compressed, false);
});

void test('the compressibility probe skips random chunks but not chunks with compressible parts', () => {
  const MiB = 1024 * 1024;
  const text = Buffer.alloc(MiB, 'the quick brown fox jumps over the lazy dog\n');
  assert.equal(looksCompressible(randomBytes(MiB)), false);
  assert.equal(looksCompressible(text), true);
  assert.equal(looksCompressible(randomBytes(64 * 1024)), true, 'small chunks are always tried');
  // random, with text at the start, the middle or the end: worth compressing
  for (const at of [0, MiB / 2 - 8192, MiB - 16384]) {
    const mixed = randomBytes(MiB);
    text.copy(mixed, at, 0, 16384);
    assert.equal(looksCompressible(mixed), true, `text at ${at}`);
  }
  const half = Buffer.concat([randomBytes(MiB / 2), text.subarray(0, MiB / 2)]);
  const blob = encodeBlob(null, half);
  assert.equal(blob.compressed, true);
  assert.ok(blob.data.length < MiB * 0.6);
});

void test('property: any flipped byte in a pack is detected', () => {
  const key = randomBytes(32);
  const b = new PackBuilder();
  for (let i = 0; i < 5; i++) {
    const e = encodeBlob(key, randomBytes(3000));
    b.add(e.id, 'data', e.data, e.rawLength, e.compressed);
  }
  const { id, data } = b.finish(key);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: data.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
      const bad = Buffer.from(data);
      bad[pos] ^= x;
      assert.throws(() => parsePack(key, bad, id), CorruptionError);
    }),
    { numRuns: 200, seed: 3 },
  );
});

void test('blobs with a wrong key or flipped byte fail with an error naming the blob and pack', () => {
  const key = randomBytes(32);
  const e = encodeBlob(key, Buffer.from('some data'));
  assert.throws(
    () => decodeBlob(randomBytes(32), e.data, e, 'pack P'),
    /blob [0-9a-f]{64} in pack P failed authentication/,
  );
  const bad = Buffer.from(e.data);
  bad[15] ^= 1;
  assert.throws(() => decodeBlob(key, bad, e, 'pack P'), CorruptionError);
  const aad = Buffer.from('baton index v4');
  assert.deepEqual(decodeJson(key, encodeJson(key, { a: [1, 2] }, aad), 'x', aad), { a: [1, 2] });
});

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

void test('property: index files round-trip through a drive; superseded files are ignored', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/d`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: hexId,
            slack: fc.nat({ max: 1000 }),
            blobs: fc.array(
              fc.record({
                id: hexId,
                type: fc.constantFrom('data' as const, 'tree' as const),
                offset: fc.nat({ max: 1_000_000 }).map((n) => n + 8),
                length: fc.nat({ max: 100_000 }),
                rawLength: fc.nat({ max: 8 * 1024 * 1024 }),
                compressed: fc.boolean(),
              }),
              { maxLength: 5 },
            ),
          }),
          { maxLength: 5 },
        ),
        async (generated) => {
          // as the format allows: blobs within their pack, stored lengths no more than their plain length plus nonce and tag
          const packs = generated.map(({ id, slack, blobs }) => {
            const bs = blobs.map((b) => ({ ...b, length: Math.min(b.length, b.rawLength + 28) }));
            return { id, length: Math.max(8, ...bs.map((b) => b.offset + b.length)) + 12 + slack, blobs: bs };
          });
          const { id, data } = encodeIndex(drive, { version: 1, packs });
          await drive.writeFile('index', id, data);
          const back = await readIndexFiles(drive, [id]);
          assert.deepEqual(back.get(id)?.packs, JSON.parse(JSON.stringify(packs)));
          await drive.remove('index', id);
        },
      ),
      { numRuns: 20, seed: 5 },
    );
    const a = encodeIndex(drive, { version: 1, packs: [{ id: 'a'.repeat(64), length: 100, blobs: [] }] });
    const b = encodeIndex(drive, {
      version: 1,
      packs: [{ id: 'b'.repeat(64), length: 100, blobs: [] }],
      supersedes: [a.id],
    });
    await drive.writeFile('index', a.id, a.data);
    await drive.writeFile('index', b.id, b.data);
    const idx = await BlobIndex.load(drive);
    assert.deepEqual([...idx.packs.keys()], ['b'.repeat(64)]);
  } finally {
    tmp.cleanup();
  }
});

void test('content IDs are BLAKE3-256 and hashing a million small blobs does not grow the process', () => {
  assert.equal(contentId(Buffer.from('abc')), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  assert.equal(contentId(new Uint8Array(0)), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  assert.equal(contentIdOfParts([Buffer.from('a'), new Uint8Array(Buffer.from('bc'))]), contentId(Buffer.from('abc')));
  const data = Buffer.alloc(300, 7);
  for (let i = 0; i < 100_000; i++) contentId(data); // warm up
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 1_000_000; i++) contentId(data);
  const grew = process.memoryUsage().rss - before;
  // the library's one-shot function leaked about 350 bytes a call: 330 MiB here
  assert.ok(grew < 64 * 1024 * 1024, `RSS grew ${Math.round(grew / 2 ** 20)} MiB over a million hashes`);
});

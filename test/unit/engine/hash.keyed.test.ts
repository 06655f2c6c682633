/**
 * Keyed content IDs and subkeys against BLAKE3's published test vectors (test_vectors.json of
 * BLAKE3-team/BLAKE3: key "whats the Elvish word for friend", input bytes i % 251), and the
 * property the keyed chunker and IDs rest on: one key, one ID; another key, another ID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { contentId, deriveSubkey, keyedContentId } from '../../../src/engine/hash';

const key = Buffer.from('whats the Elvish word for friend');
const input = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

void test('keyedContentId gives BLAKE3 keyed_hash test vectors, hasher reused between calls', () => {
  const vectors: [number, string][] = [
    [0, '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26'],
    [1, '6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b'],
    [1024, '75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4'],
  ];
  for (const round of [1, 2]) {
    for (const [n, want] of vectors) assert.equal(keyedContentId(key, input(n)), want, `${n} bytes, round ${round}`);
  }
});

void test('deriveSubkey gives the BLAKE3 derive_key test vector', () => {
  const ctx = 'BLAKE3 2019-12-27 16:29:52 test vectors context';
  assert.equal(
    deriveSubkey(ctx, input(0)).toString('hex'),
    '2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d',
  );
});

void test('the same data under two keys has two IDs, neither the unkeyed one; one key, one ID', () => {
  const data = randomBytes(5000);
  const a = randomBytes(32);
  const b = randomBytes(32);
  assert.equal(keyedContentId(a, data), keyedContentId(Buffer.from(a), data));
  assert.notEqual(keyedContentId(a, data), keyedContentId(b, data));
  assert.notEqual(keyedContentId(a, data), contentId(data));
  assert.match(keyedContentId(a, data), /^[0-9a-f]{64}$/);
});

void test('an ID key of the wrong length is refused', () => {
  assert.throws(() => keyedContentId(randomBytes(16), Buffer.alloc(1)), /BLAKE3 ID key is 32 bytes, not 16/);
});

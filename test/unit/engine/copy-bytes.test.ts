import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyBytes } from '../../../src/engine/copy-bytes';

void test('copies into and out of shared memory at any offset, byte for byte', () => {
  const dst = new Uint8Array(new SharedArrayBuffer(64));
  const from = new Uint8Array(new SharedArrayBuffer(32)).map((_, i) => i + 1);
  copyBytes(dst, 3, from.subarray(5, 25));
  assert.deepEqual([...dst.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...dst.subarray(3, 23)], [...from.subarray(5, 25)]);
  assert.equal(dst[23], 0);
  const plain = Buffer.alloc(8);
  copyBytes(plain, 8, new Uint8Array(0));
  copyBytes(plain, 0, dst.subarray(3, 11));
  assert.deepEqual([...plain], [6, 7, 8, 9, 10, 11, 12, 13]);
});

void test('a range that does not fit, or arguments that are not bytes and an offset, copy nothing and throw', () => {
  const dst = Buffer.alloc(8);
  assert.throws(() => copyBytes(dst, 5, Buffer.alloc(4, 1)), RangeError);
  assert.throws(() => copyBytes(dst, 9, Buffer.alloc(0)), RangeError);
  assert.throws(() => copyBytes(dst, -1, Buffer.alloc(1)), TypeError);
  assert.throws(() => copyBytes(dst, 0.5, Buffer.alloc(1)), TypeError);
  assert.throws(() => copyBytes(new Uint16Array(4) as unknown as Uint8Array, 0, Buffer.alloc(1)), TypeError);
  assert.throws(() => copyBytes(dst, 0, 'abc' as unknown as Uint8Array), TypeError);
  assert.deepEqual([...dst], [0, 0, 0, 0, 0, 0, 0, 0]);
});

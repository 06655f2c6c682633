import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BigIntStats } from 'node:fs';
import { Hardlinks } from '../../../src/engine/hardlinks';

const st = (ino: bigint, nlink: bigint, dev = 1n): BigIntStats => ({ ino, nlink, dev }) as BigIntStats;

void test("a file's other links reuse its content until the last link was seen", () => {
  const h = new Hardlinks();
  assert.equal(h.seen(st(5n, 3n)), undefined, 'the first link is read');
  h.stored(st(5n, 3n), ['c1', 'c2']);
  assert.equal(h.seen(st(5n, 3n, 2n)), undefined, 'the same inode on another device is another file');
  assert.deepEqual(h.seen(st(5n, 3n)), ['c1', 'c2']);
  assert.deepEqual(h.seen(st(5n, 3n)), ['c1', 'c2']);
  assert.equal(h.seen(st(5n, 3n)), undefined, 'forgotten after its last link');
});

void test('files with one link are not kept', () => {
  const h = new Hardlinks();
  h.stored(st(7n, 1n), ['c']);
  assert.equal(h.seen(st(7n, 1n)), undefined);
  assert.equal(h.seen(st(7n, 2n)), undefined);
});

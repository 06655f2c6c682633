import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPrune } from '../../../src/engine/prune-plan';
import type { IndexPack } from '../../../src/engine/index-file';

const id = (c: string): string => c.repeat(64);
const pack = (p: string, blobs: string[]): IndexPack => ({
  id: id(p),
  length: 100,
  blobs: blobs.map((b, i) => ({
    id: id(b),
    type: 'data',
    offset: i * 10,
    length: 10,
    rawLength: 10,
    compressed: false,
  })),
});
const ids = (list: { id: string }[]): string[] => list.map((p) => p.id[0]);

void test('prune keeps a pack when one of its blobs is used or another drive pins it, drops the rest', () => {
  const packs = [pack('a', ['1', '2']), pack('b', ['3']), pack('c', ['4', '5']), pack('d', [])];
  const plan = planPrune(packs, new Set([id('2'), id('9')]), new Set([id('c')]), []);
  assert.deepEqual(ids(plan.keep), ['a', 'c'], 'a for blob 2 alone, c pinned with no blob used');
  assert.deepEqual(ids(plan.drop), ['b', 'd'], 'an empty pack is used by nothing');
  assert.deepEqual(plan.orphans, []);
});

void test('prune deletes packs on the drive that no index lists, and only those', () => {
  const packs = [pack('a', ['1']), pack('b', ['2'])];
  const present = [
    { id: id('a'), length: 100 },
    { id: id('e'), length: 7 },
    { id: id('b'), length: 100 },
    { id: id('f'), length: 8 },
  ];
  const plan = planPrune(packs, new Set([id('1')]), new Set(), present);
  assert.deepEqual(plan.orphans, [present[1], present[3]], 'as listed, with their lengths');
  assert.deepEqual(ids(plan.keep), ['a']);
  assert.deepEqual(ids(plan.drop), ['b'], 'an indexed unused pack is dropped, not an orphan');
});

void test('with nothing used and nothing pinned every pack is dropped, in index order', () => {
  const packs = [pack('c', ['1']), pack('a', ['2']), pack('b', ['3'])];
  const plan = planPrune(packs, new Set(), new Set(), []);
  assert.deepEqual(ids(plan.drop), ['c', 'a', 'b']);
  assert.deepEqual(plan.keep, []);
});

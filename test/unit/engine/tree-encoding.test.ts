import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTree, makeNode, type TreeNode } from '../../../src/engine/tree';
import type { EntryStats } from '../../../src/engine/entry-stats';

/** The canonical bytes, written the slow way: every object's keys by one key list. */
function byKeyList(nodes: TreeNode[]): string {
  const keys = ['nodes', 'name', 'rawName', 'type', 'mode', 'uid', 'gid', 'mtimeNs', 'size', 'device', 'inode'];
  keys.push('links', 'content', 'subtree', 'target', 'rawTarget', 'rdevMajor', 'rdevMinor', 'xattrs', 'value');
  return JSON.stringify({ nodes }, keys);
}

const stats = (over: Partial<Record<keyof EntryStats, bigint>> = {}) =>
  ({
    mode: 0o100644n,
    uid: 1000n,
    gid: 1000n,
    mtimeNs: 1_700_000_000_123_456_789n,
    size: 12n,
    nlink: 1n,
    dev: 2049n,
    ino: 77n,
    rdev: 0n,
    ...over,
  }) as unknown as EntryStats;

const file = makeNode(Buffer.from('a.txt'), 'file', stats(), { content: ['ab'.repeat(32)] });
const linked = makeNode(Buffer.from('b'), 'file', stats({ nlink: 2n }), {
  content: [],
  xattrs: [{ name: 'user.k', value: 'dg==' }],
});
const raw = makeNode(Buffer.from([0x66, 0xff]), 'symlink', stats({ mode: 0o120777n }), {
  target: Buffer.from([0xfe]),
});
const dir = makeNode(Buffer.from('d'), 'dir', stats({ mode: 0o40755n }), { subtree: 'cd'.repeat(32) });

test('nodes as makeNode builds them are written in the canonical key order', () => {
  const nodes = [file, linked, raw, dir];
  assert.equal(encodeTree(nodes).toString(), byKeyList(nodes));
  assert.match(encodeTree([file]).toString(), /^\{"nodes":\[\{"name":"a\.txt","type":"file","mode":420,/);
});

test('a node whose fields were set in another order, or that carries a field of no node, is written canonically too', () => {
  // a directory node from a checkpoint gets its subtree last; an xattr may list value first
  const late: TreeNode = { name: 'd', type: 'dir', mode: 493, uid: 0, gid: 0, mtimeNs: '1' };
  const { subtree, ...rest } = { ...dir };
  const reordered = { subtree, ...rest } as TreeNode;
  const backwards = { ...linked, xattrs: [{ value: 'dg==', name: 'user.k' }] };
  const extra = { ...file, scratch: 1 } as TreeNode;
  late.subtree = 'ef'.repeat(32);
  for (const odd of [reordered, backwards, extra]) {
    const nodes = [file, odd, late];
    assert.equal(encodeTree(nodes).toString(), byKeyList(nodes));
  }
  assert.equal(encodeTree([reordered]).toString(), encodeTree([dir]).toString(), 'the same node, the same bytes');
  assert.equal(encodeTree([extra]).toString(), encodeTree([file]).toString(), 'a field of no node is left out');
});

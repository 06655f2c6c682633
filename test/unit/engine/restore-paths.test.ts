import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addToSelection, pathParts, selectPaths } from '../../../src/engine/restore-paths';
import type { Selection } from '../../../src/engine/restore-paths';
import type { TreeNode } from '../../../src/engine/tree';

/** A tree node with only what selectPaths reads. */
const entry = (name: string, type: 'dir' | 'file', subtree?: string): TreeNode =>
  ({ name, type, subtree, mode: 0o644, size: 0 }) as unknown as TreeNode;

const trees: Record<string, TreeNode[]> = {
  data: [entry('a.txt', 'file'), entry('sub', 'dir', 'sub')],
  sub: [entry('deep.bin', 'file')],
};
const root = [entry('data', 'dir', 'data'), entry('etc', 'dir', 'etc'), entry('top.txt', 'file')];
trees.etc = [];
const load = (id: string): Promise<TreeNode[]> => Promise.resolve(trees[id] ?? []);

/** A selection as nested plain objects, for deepEqual. */
function plain(s: Selection | null | undefined): unknown {
  if (s === null || s === undefined) return s;
  return Object.fromEntries([...s].map(([k, v]) => [k, plain(v)]));
}

void test('paths are parts without "." or empty parts; ".." and the root itself are refused', () => {
  const cases: { name: string; path: string; parts?: string[]; error?: RegExp }[] = [
    { name: 'plain', path: 'data/a.txt', parts: ['data', 'a.txt'] },
    { name: 'slashes and dots', path: '/data//./sub/', parts: ['data', 'sub'] },
    { name: 'escape', path: 'data/../../etc', error: /path data\/\.\.\/\.\.\/etc leaves the snapshot/ },
    { name: 'root', path: './', error: /names the whole snapshot/ },
  ];
  for (const c of cases) {
    if (c.error) assert.throws(() => pathParts(c.path), c.error, c.name);
    else assert.deepEqual(pathParts(c.path), c.parts, c.name);
  }
});

void test('a selection merges paths, and an entry taken whole stays whole', () => {
  const s: Selection = new Map();
  addToSelection(s, ['data', 'sub', 'deep.bin']);
  addToSelection(s, ['data', 'a.txt']);
  addToSelection(s, ['top.txt']);
  assert.deepEqual(plain(s), { data: { sub: { 'deep.bin': null }, 'a.txt': null }, 'top.txt': null });
  addToSelection(s, ['data']);
  addToSelection(s, ['data', 'sub']);
  assert.deepEqual(plain(s), { data: null, 'top.txt': null });
});

void test('selectPaths: a file and a directory give the root and a selection; one directory alone its entries', async () => {
  const both = await selectPaths(root, ['top.txt', 'data/sub'], load, 'abc');
  assert.equal(both.nodes, root);
  assert.deepEqual(plain(both.selection), { 'top.txt': null, data: { sub: null } });

  const one = await selectPaths(root, ['data'], load, 'abc');
  assert.equal(one.selection, undefined);
  assert.deepEqual(
    one.nodes.map((n) => n.name),
    ['a.txt', 'sub'],
  );
  const file = await selectPaths(root, ['data/sub/deep.bin'], load, 'abc');
  assert.deepEqual(plain(file.selection), { data: { sub: { 'deep.bin': null } } });
});

void test('selectPaths refuses a missing path, or one going through a file, naming it', async () => {
  for (const path of ['nope', 'data/nope.txt', 'top.txt/x', 'data/a.txt/more']) {
    await assert.rejects(
      selectPaths(root, ['top.txt', path], load, 'abc123'),
      (err: Error & { code?: string }) =>
        err.code === 'NO_PATH' &&
        err.message.startsWith(`no file or directory ${path} in snapshot abc123; check the path`),
      path,
    );
  }
});

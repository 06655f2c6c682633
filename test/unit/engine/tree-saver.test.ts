import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { BlobIndex, readBlob } from '../../../src/engine/index-file';
import { PackWriter } from '../../../src/engine/pack-writer';
import { TreeSaver } from '../../../src/engine/tree-saver';
import { UsedPacks } from '../../../src/engine/used-packs';
import { decodeTree, makeNode } from '../../../src/engine/tree';
import type { CheckpointDrive } from '../../../src/engine/checkpoint';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test("leaving a directory stores its tree blob and adds its node, with the subtree, to the parent's", async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/d`);
    const index = await BlobIndex.load(drive);
    const writer = new PackWriter(drive, index);
    const drives: CheckpointDrive[] = [{ id: drive.id, path: drive.path, packs: [] }];
    const used = new UsedPacks(index, writer, drives);
    const trees = new TreeSaver(writer, used);
    const st = lstatSync(tmp.path, { bigint: true });
    for (const name of ['a', 'b']) {
      trees.enter({ name: Buffer.from(name), node: makeNode(Buffer.from(name), 'dir', st), nodes: [] });
      trees.add(Buffer.from('x'), makeNode(Buffer.from('x'), 'symlink', st, { target: Buffer.from('t') }));
      await trees.leave();
    }
    trees.add(Buffer.from('c'), null); // skipped with an error: the cursor moves, no node
    assert.equal(trees.frames.length, 1);
    assert.equal(trees.top.last?.toString(), 'c');
    const [a, b] = trees.top.nodes;
    assert.deepEqual(
      trees.top.nodes.map((n) => n.name),
      ['a', 'b'],
    );
    assert.ok(a.subtree);
    assert.equal(a.subtree, b.subtree, 'equal directories share one tree blob');
    assert.equal(writer.has(a.subtree), true);
    const root = await trees.saveRoot();
    await writer.writeIndex();
    used.resolve();
    assert.equal(drives[0].packs.length, 1, 'the pack with the trees is listed as used');
    const loc = index.get(root);
    assert.ok(loc);
    assert.deepEqual(
      decodeTree(await readBlob(loc), root).nodes.map((n) => [n.name, n.subtree]),
      [
        ['a', a.subtree],
        ['b', a.subtree],
      ],
    );
  } finally {
    tmp.cleanup();
  }
});

void test('a resumed root frame carries on with its finished entries and cursor', () => {
  const trees = new TreeSaver({} as PackWriter, {} as UsedPacks, {
    name: null,
    node: null,
    nodes: [{ name: 'done', type: 'file' } as never],
    last: Buffer.from('done').toString('hex'),
  });
  assert.equal(trees.top.name, null);
  assert.deepEqual(
    trees.top.nodes.map((n) => n.name),
    ['done'],
  );
  assert.equal(trees.top.last?.toString(), 'done');
});

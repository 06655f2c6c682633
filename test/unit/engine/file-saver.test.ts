/**
 * FileSaver.save stores a file whose content is at hand without a promise, and waits only when
 * its pack writer or a checkpoint makes it: the same node, content and counts either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, writeFileSync } from 'node:fs';
import { contentId } from '../../../src/engine/hash';
import type { PendingFile } from '../../../src/engine/file-saver';
import type { TreeNode } from '../../../src/engine/tree';
import { fileSaver } from '../../helpers/file-saver';
import type { SaverOptions } from '../../helpers/file-saver';
import { tempDir } from '../../helpers/temp';

/** A small file walked and started, its batch sent and answered. */
async function smallFileIn(s: ReturnType<typeof fileSaver>, path: string): Promise<PendingFile> {
  const ev = {
    t: 'file' as const,
    name: Buffer.from(path.slice(path.lastIndexOf('/') + 1)),
    path: Buffer.from(path),
    st: lstatSync(path, { bigint: true }),
  };
  const item = s.saver.start(ev);
  s.deps.batcher.send();
  await item.small;
  return item;
}

const cases: { options: SaverOptions; waits: boolean }[] = [
  { options: { addWaits: false, checkpointWaits: false }, waits: false },
  { options: { addWaits: true, checkpointWaits: false }, waits: true },
  { options: { addWaits: false, checkpointWaits: true }, waits: true },
];

for (const { options, waits } of cases) {
  void test(`a small file whose result is in: ${waits ? 'a promise' : 'its node at once'} (${JSON.stringify(options)})`, async () => {
    const tmp = tempDir();
    const s = fileSaver(options);
    try {
      const data = Buffer.from('a small file, stored in one chunk\n');
      writeFileSync(`${tmp.path}/f`, data);
      const item = await smallFileIn(s, `${tmp.path}/f`);
      assert.ok(item.smallResult, 'the result was put on the file as it arrived');
      const saved = s.saver.save(item);
      assert.equal(saved instanceof Promise, waits);
      const node = (await saved) as TreeNode;
      assert.deepEqual(node.content, [contentId(data)]);
      assert.equal(node.size, data.length);
      assert.deepEqual(s.stored, [contentId(data)]);
      const { stats } = s.deps.tally;
      assert.deepEqual([stats.files, stats.bytes, stats.newChunks, stats.newBytes], [1, data.length, 1, data.length]);
    } finally {
      await s.pool.close();
      tmp.cleanup();
    }
  });
}

void test('a small file that could not be read: null at once, and its error counted', async () => {
  const tmp = tempDir();
  const s = fileSaver({ addWaits: false, checkpointWaits: false });
  try {
    writeFileSync(`${tmp.path}/f`, 'gone before it is read');
    const ev = {
      t: 'file' as const,
      name: Buffer.from('f'),
      path: Buffer.from(`${tmp.path}/f`),
      st: lstatSync(`${tmp.path}/f`, { bigint: true }),
    };
    tmp.cleanup(); // the file goes between the walk and its reading
    const item = s.saver.start(ev);
    s.deps.batcher.send();
    await item.small;
    assert.equal(s.saver.save(item), null);
    assert.equal(s.deps.tally.errors.length, 1);
    assert.equal(s.deps.tally.stats.files, 0);
  } finally {
    await s.pool.close();
  }
});

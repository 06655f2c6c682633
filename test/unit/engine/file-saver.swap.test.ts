/**
 * A file replaced between the walk's lstat and its reading. The engine has no hook between the two
 * (the look-ahead starts reading as soon as the walk lists a file), so these tests play the walk
 * themselves: they take the file's lstat as the walk does (its walk event), swap the file, and
 * only then hand the event to the file saver, which opens and reads it in the worker threads as a
 * backup does. The saver's other parts (pack writer, checkpoints) are stubs that record what
 * would be stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { contentId } from '../../../src/engine/hash';
import { chunkLengths } from '../../../src/engine/chunker';
import type { TreeNode } from '../../../src/engine/tree';
import { prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';
import { fileSaver } from '../../helpers/file-saver';
import type { Saver } from '../../helpers/file-saver';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Walks `path` (its lstat, as the walk takes it), runs `swap`, then saves it, within 10 seconds. */
async function walkSwapSave(s: Saver, path: string, swap: () => void): Promise<TreeNode | null> {
  const name = Buffer.from(path.slice(path.lastIndexOf('/') + 1));
  const ev = { t: 'file' as const, name, path: Buffer.from(path), st: lstatSync(path, { bigint: true }) };
  swap();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`saving ${path} did not finish within 10 s`)), 10_000);
  });
  try {
    return await Promise.race([s.saver.save(s.saver.start(ev)), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The chunk IDs of `data` (what storing it would store). */
const idsOf = (data: Buffer): string[] => {
  let at = 0;
  return chunkLengths(data).map((n) => contentId(data.subarray(at, (at += n))));
};

// a small file is one job in a batch and a 3 MiB one a whole-file job of its own, both checked by
// the fstat taken after reading; a 9 MiB one is read in segments, each checked before reading
for (const size of [100, 3 * MiB, 9 * MiB]) {
  const kind =
    size < 256 * KiB
      ? 'a small file (batched)'
      : size < 4 * MiB
        ? 'a larger file (one job)'
        : 'a large file (segments)';

  void test(`${kind} swapped for a symlink to a secret after the walk is skipped, not stored with the secret`, async () => {
    const tmp = tempDir();
    const s = fileSaver();
    try {
      const secret = prng('secret', size);
      writeFileSync(`${tmp.path}/shadow`, secret);
      const path = `${tmp.path}/mine`;
      writeFileSync(path, prng('mine', size));
      const node = await walkSwapSave(s, path, () => {
        unlinkSync(path);
        symlinkSync(`${tmp.path}/shadow`, path);
      });
      assert.equal(node, null, 'no node for the file');
      assert.deepEqual(s.deps.tally.errors, [
        { path, message: 'replaced by a symlink after it was listed; not stored' },
      ]);
      for (const id of idsOf(secret)) assert.ok(!s.stored.includes(id), "no chunk of the secret's is stored");
    } finally {
      await s.pool.close();
      tmp.cleanup();
    }
  });

  void test(`${kind} replaced by another file after the walk is skipped`, async () => {
    const tmp = tempDir();
    const s = fileSaver();
    try {
      const other = prng('other', size);
      writeFileSync(`${tmp.path}/other`, other);
      const path = `${tmp.path}/mine`;
      writeFileSync(path, prng('mine', size));
      const node = await walkSwapSave(s, path, () => renameSync(`${tmp.path}/other`, path));
      assert.equal(node, null);
      assert.deepEqual(s.deps.tally.errors, [
        { path, message: 'replaced by another file after it was listed; not stored' },
      ]);
      assert.deepEqual(s.stored, []);
    } finally {
      await s.pool.close();
      tmp.cleanup();
    }
  });

  void test(`${kind} swapped for a fifo after the walk does not hang the backup and is skipped`, async () => {
    const tmp = tempDir();
    const s = fileSaver();
    try {
      const path = `${tmp.path}/mine`;
      writeFileSync(path, prng('mine', size));
      const node = await walkSwapSave(s, path, () => {
        unlinkSync(path);
        execFileSync('mkfifo', [path]); // no writer: a blocking open would wait forever
      });
      assert.equal(node, null);
      assert.deepEqual(s.deps.tally.errors, [{ path, message: 'replaced by a fifo after it was listed; not stored' }]);
      // the workers are free for the next file
      const next = `${tmp.path}/next`;
      writeFileSync(next, 'next');
      const saved = await walkSwapSave(s, next, () => undefined);
      assert.deepEqual(saved?.content, idsOf(Buffer.from('next')));
    } finally {
      await s.pool.close();
      tmp.cleanup();
    }
  });
}

void test('an unswapped file is stored, its reads checked against the listed device and inode', async () => {
  const tmp = tempDir();
  const s = fileSaver();
  try {
    const data = prng('plain', 9 * MiB + 5);
    const path = `${tmp.path}/plain`;
    writeFileSync(path, data);
    const node = await walkSwapSave(s, path, () => undefined);
    assert.deepEqual(s.deps.tally.errors, []);
    assert.deepEqual(node?.content, idsOf(data));
    assert.equal(node?.size, data.length);
  } finally {
    await s.pool.close();
    tmp.cleanup();
  }
});

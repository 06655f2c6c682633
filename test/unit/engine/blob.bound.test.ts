/**
 * Blobs bound to their type and ID (repository format 5): two blobs of one pack whose index entries
 * are swapped fail authentication, in restore and in verify --read-data, with an error naming the
 * blob; a tree blob read as data (and the reverse) is refused; pack trailers open only as trailers.
 * The same swap on a version 4 drive is caught later, by the content hash, which is what the
 * binding moves forward to the tag check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { verify } from '../../../src/engine/checker';
import { readSnapshot } from '../../../src/engine/snapshot';
import { BlobIndex, encodeIndex, readBlob, readIndexFiles } from '../../../src/engine/index-file';
import type { IndexFile } from '../../../src/engine/index-file';
import { parsePack } from '../../../src/engine/pack';
import { trailerAad } from '../../../src/engine/config';
import { contentId } from '../../../src/engine/hash';
import type { Drive } from '../../../src/engine/drive';
import { CorruptionError } from '../../../src/engine/errors';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

/** Two files of one chunk each, the same size and incompressible: their blobs are the same length. */
function source(tmp: string): { src: string; a: string; b: string } {
  const src = join(tmp, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.bin'), prng('a', 200_000));
  writeFileSync(join(src, 'b.bin'), prng('b', 200_000));
  return { src, a: contentId(prng('a', 200_000)), b: contentId(prng('b', 200_000)) };
}

/**
 * Rewrites the drive's index with blobs `a` and `b` trading places (offsets), as if their bytes had
 * been swapped in the pack: what someone who can write the drive does to a pack of a drive whose
 * blobs are not bound (the index itself needs the key; the test has it).
 */
async function swapEntries(drive: Drive, a: string, b: string): Promise<void> {
  const files = await readIndexFiles(drive);
  assert.equal(files.size, 1);
  const [[name, file]] = [...files];
  const blobs = file.packs.flatMap((p) => p.blobs);
  const ea = blobs.find((x) => x.id === a);
  const eb = blobs.find((x) => x.id === b);
  assert.ok(ea && eb && ea.length === eb.length, 'two blobs of the same length');
  [ea.offset, eb.offset] = [eb.offset, ea.offset];
  const next = encodeIndex(drive, file satisfies IndexFile);
  await drive.writeFile('index', next.id, next.data);
  await drive.remove('index', name);
}

const authFailure =
  (...ids: string[]) =>
  (e: Error): boolean =>
    e instanceof CorruptionError &&
    ids.some((id) => e.message.includes(`blob ${id} in`)) &&
    /failed authentication/.test(e.message);

void test('version 5: blobs swapped between index entries fail authentication in restore and verify, naming the blob', async () => {
  const tmp = tempDir();
  try {
    const { src, a, b } = source(tmp.path);
    const drive = await createDrive(join(tmp.path, 'd'), { formatVersion: 5 });
    assert.equal(drive.config.version, 5);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    assert.deepEqual((await verify({ drive, readData: true })).errors, [], 'clean before the swap');

    await swapEntries(drive, a, b);
    await assert.rejects(restore({ drive, snapshotId, target: join(tmp.path, 'out') }), authFailure(a, b));
    const { errors } = await verify({ drive, readData: true });
    const bad = errors.filter((f) => f.kind === 'blob-data');
    assert.deepEqual(bad.map((f) => f.blob).sort(), [a, b].sort());
    for (const f of bad)
      assert.match(f.message, new RegExp(`blob ${f.blob} in pack [0-9a-f]{64} failed authentication`));
  } finally {
    tmp.cleanup();
  }
});

void test('version 4: the same swap is caught only by the content hash, after decrypting', async () => {
  const tmp = tempDir();
  try {
    const { src, a, b } = source(tmp.path);
    const drive = await createDrive(join(tmp.path, 'd'), { formatVersion: 4 });
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    await swapEntries(drive, a, b);
    await assert.rejects(
      restore({ drive, snapshotId, target: join(tmp.path, 'out') }),
      (e: Error) =>
        e instanceof CorruptionError &&
        [a, b].some((id) => e.message.includes(`blob ${id} in`)) &&
        /hash mismatch/.test(e.message) &&
        !/failed authentication/.test(e.message),
    );
  } finally {
    tmp.cleanup();
  }
});

void test('version 5: a tree blob read as data, or a data blob read as a tree, is refused', async () => {
  const tmp = tempDir();
  try {
    const { src, a } = source(tmp.path);
    const drive = await createDrive(join(tmp.path, 'd'), { formatVersion: 5 });
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    const root = (await readSnapshot(drive, snapshotId)).tree;
    const index = await BlobIndex.load(drive);
    const tree = index.get(root);
    const data = index.get(a);
    assert.ok(tree && data);
    assert.equal(tree.blob.type, 'tree');
    assert.ok((await readBlob(tree, 'tree')).length > 0, 'a tree reads as a tree');
    await assert.rejects(readBlob(tree, 'data'), authFailure(root));
    await assert.rejects(readBlob(data, 'tree'), authFailure(a));
    // an index entry of the tree moved under the data blob's ID is refused too (bound to the ID)
    await assert.rejects(readBlob({ ...tree, blob: { ...tree.blob, id: a } }, 'tree'), authFailure(a));
  } finally {
    tmp.cleanup();
  }
});

void test('version 5: a pack trailer opens only as a version 5 trailer; version 4 trailers are unbound', async () => {
  const tmp = tempDir();
  try {
    const { src } = source(tmp.path);
    for (const version of [5, 4]) {
      const drive = await createDrive(join(tmp.path, `d${version}`), { formatVersion: version });
      await backup({ drive, sources: src, cachePath: null });
      const [ab] = readdirSync(join(drive.path, 'data'));
      const [id] = readdirSync(join(drive.path, 'data', ab));
      const pack = readFileSync(join(drive.path, 'data', ab, id));
      assert.equal(
        parsePack(drive.key, pack, id, trailerAad(version)).length,
        3,
        `version ${version}: 2 files and a tree`,
      );
      if (version === 5) {
        assert.throws(() => parsePack(drive.key, pack, id), /trailer failed authentication/, 'read unbound');
      } else {
        assert.equal(trailerAad(version), undefined);
      }
    }
  } finally {
    tmp.cleanup();
  }
});

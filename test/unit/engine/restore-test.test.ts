import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore, openSnapshotDrives, loadTree } from '../../../src/engine/restorer';
import { readSnapshot } from '../../../src/engine/snapshot';
import { checkRestored } from '../../../src/engine/restore-check';
import { testRestore } from '../../../src/engine/restore-test';
import type { Drive } from '../../../src/engine/drive';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

function sourceTree(src: string): void {
  mkdirSync(`${src}/data/t1`, { recursive: true });
  writeFileSync(`${src}/data/t1/rows`, prng('rows', 1_500_000));
  writeFileSync(`${src}/data/index`, prng('index', 3000));
  writeFileSync(`${src}/conf`, 'port = 5432\n');
  chmodSync(`${src}/conf`, 0o640);
  symlinkSync('data/index', `${src}/link`);
  for (let i = 0; i < 20; i++) writeFileSync(`${src}/data/f${i}`, `file ${i}\n`);
}

/** Restores the whole snapshot into `out`, lets `damage` change it, and compares. */
async function checkAfter(drive: Drive, snapshotId: string, out: string, damage: () => void) {
  rmSync(out, { recursive: true, force: true });
  await restore({ drive, snapshotId, target: out });
  damage();
  const snap = await readSnapshot(drive, snapshotId);
  const { index } = await openSnapshotDrives(drive, snap);
  const load = (id: string) => loadTree(index, id);
  return checkRestored({ index, loadTree: load, target: out }, await load(snap.tree));
}

void test('the compare finds the first changed content, size, mode, kind, symlink target or missing file', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    sourceTree(src);
    const drive = await createDrive(`${tmp.path}/d`);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    const out = `${tmp.path}/out`;
    const clean = await checkAfter(drive, snapshotId, out, () => undefined);
    assert.equal(clean.difference, null);
    assert.equal(clean.files, 23);
    assert.equal(clean.bytes, 1_500_000 + 3000 + 12 + 20 * 7 + 10 * 1);

    const flip = (path: string, at: number) => {
      const b = readFileSync(path);
      b[at] ^= 1;
      writeFileSync(path, b);
    };
    const cases: [string, () => void, string, RegExp][] = [
      [
        'content',
        () => flip(`${out}/data/t1/rows`, 1_400_000),
        'data/t1/rows',
        /^content differs from the snapshot at bytes \d+-1499999 \(chunk 2 of 2\)$/,
      ],
      [
        'size',
        () => writeFileSync(`${out}/conf`, 'port = 1\n'),
        'conf',
        /^has 9 bytes in the restore but 12 in the snapshot$/,
      ],
      [
        'mode',
        () => chmodSync(`${out}/conf`, 0o644),
        'conf',
        /^has mode 0644 in the restore but 0640 in the snapshot$/,
      ],
      [
        'missing',
        () => rmSync(`${out}/data/f3`),
        'data/f3',
        /^is missing from the restore \(a file in the snapshot\)$/,
      ],
      [
        'kind',
        () => (rmSync(`${out}/data/index`), mkdirSync(`${out}/data/index`)),
        'data/index',
        /^is a dir in the restore but a file in the snapshot$/,
      ],
      [
        'symlink',
        () => (rmSync(`${out}/link`), symlinkSync('conf', `${out}/link`)),
        'link',
        /^points to conf in the restore but to data\/index in the snapshot$/,
      ],
    ];
    for (const [name, damage, path, problem] of cases) {
      const r = await checkAfter(drive, snapshotId, out, damage);
      assert.equal(r.difference?.path, path, name);
      assert.match(r.difference?.problem ?? '', problem, name);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('testRestore: a whole snapshot and a seeded sample pass, the scratch directory is gone either way', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    sourceTree(src);
    const drive = await createDrive(`${tmp.path}/d`);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    const scratchDir = `${tmp.path}/scratch/run-1`;
    mkdirSync(scratchDir, { recursive: true });
    writeFileSync(`${scratchDir}/left-over`, 'from a run that died');

    const whole = await testRestore({ drive, snapshotId, scratchDir, sample: null, seed: 1 });
    assert.deepEqual([whole.files, whole.totalFiles, whole.sampled, whole.difference], [23, 23, [], null]);
    assert.equal(existsSync(scratchDir), false);

    const some = await testRestore({ drive, snapshotId, scratchDir, sample: { files: 5 }, seed: 7 });
    assert.equal(some.files, 5);
    assert.equal(some.sampled.length, 5);
    assert.equal(some.difference, null);
    const again = await testRestore({ drive, snapshotId, scratchDir, sample: { files: 5 }, seed: 7 });
    assert.deepEqual(again.sampled, some.sampled);
    const other = await testRestore({ drive, snapshotId, scratchDir, sample: { fraction: 0.5 }, seed: 8 });
    assert.equal(other.files, 12);
    assert.deepEqual(readdirSync(`${tmp.path}/scratch`), []);
  } finally {
    tmp.cleanup();
  }
});

void test('testRestore: a damaged pack is a difference naming the file being restored; the scratch directory is gone', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/big`, prng('big', 3_000_000));
    const drive = await createDrive(`${tmp.path}/d`);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    const data = `${tmp.path}/d/data`;
    const packs = readdirSync(data).flatMap((s) => readdirSync(`${data}/${s}`).map((p) => `${data}/${s}/${p}`));
    for (const pack of packs) {
      const b = readFileSync(pack);
      if (b.length < 1_000_000) continue;
      b[b.length >> 1] ^= 1;
      writeFileSync(pack, b);
    }
    const scratchDir = `${tmp.path}/scratch/run-2`;
    const r = await testRestore({ drive, snapshotId, scratchDir, sample: null, seed: 1 });
    assert.equal(r.difference?.path, 'big');
    assert.match(r.difference?.problem ?? '', /^cannot be restored: blob \w+ in pack \w+.*\(restoring big\)/);
    assert.equal(existsSync(scratchDir), false);
  } finally {
    tmp.cleanup();
  }
});

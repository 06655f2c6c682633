import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { encodeBlob, encodeJson } from '../../../src/engine/blob';
import type { Drive } from '../../../src/engine/drive';
import { blobId, contentId } from '../../../src/engine/hash';
import { BlobIndex } from '../../../src/engine/index-file';
import { PackWriter } from '../../../src/engine/pack-writer';
import { loadTree, openSnapshotDrives, restore } from '../../../src/engine/restorer';
import { readSnapshot } from '../../../src/engine/snapshot';
import { encodeTree } from '../../../src/engine/tree';
import type { TreeNode } from '../../../src/engine/tree';
import { createDrive } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';
import { blobAad, metadataAad } from '../../../src/engine/config';

const ino = (p: string): bigint => statSync(p, { bigint: true }).ino;

/** Mounts a small tmpfs at each path; false (nothing mounted) when mounting is refused. */
function mountTmpfs(paths: string[]): boolean {
  const done: string[] = [];
  try {
    for (const p of paths) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', p], { stdio: 'ignore' });
      done.push(p);
    }
    return true;
  } catch {
    for (const p of done) execFileSync('umount', [p]);
    return false;
  }
}

void test('hard links on two file systems that number their files alike restore as two files, each with its links', async (t) => {
  const tmp = tempDir();
  const src = `${tmp.path}/src`;
  const m1 = `${src}/m1`;
  const m2 = `${src}/m2`;
  mkdirSync(m1, { recursive: true });
  mkdirSync(m2);
  if (!mountTmpfs([m1, m2])) {
    tmp.cleanup();
    t.skip('needs root to mount two tmpfs file systems');
    return;
  }
  try {
    writeFileSync(`${m1}/x`, 'aaa');
    linkSync(`${m1}/x`, `${m1}/y`);
    writeFileSync(`${m2}/x`, 'bbb');
    linkSync(`${m2}/x`, `${m2}/y`);
    assert.equal(ino(`${m1}/x`), ino(`${m2}/x`), 'tmpfs gives the first file of each mount one inode number');

    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: src, cachePath: null });
    assert.deepEqual(r.errors, []);
    const out = `${tmp.path}/out`;
    const res = await restore({ drive, snapshotId: r.snapshotId, target: out });

    const read = (p: string): string => readFileSync(`${out}/${p}`, 'utf8');
    assert.deepEqual(['m1/x', 'm1/y', 'm2/x', 'm2/y'].map(read), ['aaa', 'aaa', 'bbb', 'bbb']);
    const at = (p: string): bigint => ino(`${out}/${p}`);
    assert.equal(at('m1/x'), at('m1/y'), 'm1/x and m1/y are one file');
    assert.equal(at('m2/x'), at('m2/y'), 'm2/x and m2/y are one file');
    assert.notEqual(at('m1/x'), at('m2/x'), 'the two mounts are not linked');
    assert.equal(res.bytes, 6, "each file's content is written once");
    assert.equal(res.files, 4);
  } finally {
    execFileSync('umount', [m1]);
    execFileSync('umount', [m2]);
    tmp.cleanup();
  }
});

/** Stores `nodes` (their content given as strings) as the root tree of a new snapshot, as an older Baton wrote it. */
/** A blob as the drive's own writers seal it (version 5: bound to its type and ID; 6: its ID keyed). */
function driveBlob(drive: Drive, type: 'data' | 'tree', plain: Buffer): ReturnType<typeof encodeBlob> {
  const id = blobId(drive.ids.idKey, plain);
  return encodeBlob(drive.key, plain, id, undefined, blobAad(drive.config.version, type, id));
}

async function craftSnapshot(drive: Drive, nodes: (Omit<TreeNode, 'content'> & { text: string })[]): Promise<string> {
  const index = await BlobIndex.load(drive);
  const w = new PackWriter(drive, index);
  const tree: TreeNode[] = [];
  for (const { text, ...n } of nodes) {
    const data = Buffer.from(text);
    await w.add('data', driveBlob(drive, 'data', data));
    tree.push({ ...n, size: data.length, content: [blobId(drive.ids.idKey, data)] });
  }
  const plain = encodeTree(tree);
  assert.ok(!plain.includes('device'), 'the tree is in the old format');
  await w.add('tree', driveBlob(drive, 'tree', plain));
  await w.writeIndex();
  const data = encodeJson(
    drive.key,
    {
      version: 1,
      time: new Date().toISOString(),
      hostname: 'h',
      paths: ['/x'],
      tree: blobId(drive.ids.idKey, plain),
      drives: [{ id: drive.id, path: drive.path }],
      incomplete: false,
      errors: [],
      warnings: [],
      stats: { files: nodes.length, dirs: 0, bytes: 0, newBytes: 0, newChunks: 0, cachedFiles: 0, packs: 1 },
    },
    metadataAad(drive.config.version, 'snapshot'),
  );
  const id = contentId(data);
  await drive.writeFile('snapshots', id, data);
  return id;
}

void test('a tree written before devices were recorded restores its hard links by inode', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/d`);
    const meta = { type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: '1600000000000000000' } as const;
    const id = await craftSnapshot(drive, [
      { name: 'a', ...meta, inode: '7', links: 2, text: 'same' },
      { name: 'b', ...meta, inode: '7', links: 2, text: 'same' },
      { name: 'c', ...meta, inode: '9', links: 3, text: 'same' },
      { name: 'd', ...meta, inode: '9', links: 3, text: 'same' },
      { name: 'e', ...meta, inode: '9', links: 3, text: 'same' },
      // what older backups made of a second file system's file with inode 7: only its content is right
      { name: 'f', ...meta, inode: '7', links: 2, text: 'other' },
      { name: 'single', ...meta, text: 'same' },
    ]);
    const out = `${tmp.path}/out`;
    const res = await restore({ drive, snapshotId: id, target: out });
    assert.equal(res.files, 7);
    const at = (p: string): bigint => ino(`${out}/${p}`);
    assert.equal(at('a'), at('b'));
    assert.equal(at('c'), at('d'));
    assert.equal(at('c'), at('e'));
    assert.notEqual(at('a'), at('c'), 'inodes 7 and 9 are two files');
    assert.equal(statSync(`${out}/a`).nlink, 2);
    assert.equal(statSync(`${out}/c`).nlink, 3);
    assert.equal(readFileSync(`${out}/f`, 'utf8'), 'other', 'a node with other content is not linked to inode 7');
    assert.notEqual(at('f'), at('a'));
    assert.equal(statSync(`${out}/single`).nlink, 1);
  } finally {
    tmp.cleanup();
  }
});

void test('a backup records device and inode of hard-linked files only, and restores them as they were', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/a`, 'linked');
    linkSync(`${src}/a`, `${src}/b`);
    writeFileSync(`${src}/c`, 'single');
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: src, cachePath: null });
    const snap = await readSnapshot(drive, r.snapshotId);
    const { index } = await openSnapshotDrives(drive, snap);
    const nodes = await loadTree(index, snap.tree);
    const dev = statSync(src, { bigint: true }).dev.toString();
    assert.deepEqual(
      nodes.map((n) => [n.name, n.device, n.inode]),
      [
        ['a', dev, ino(`${src}/a`).toString()],
        ['b', dev, ino(`${src}/a`).toString()],
        ['c', undefined, undefined],
      ],
    );
    const out = `${tmp.path}/out`;
    await restore({ drive, snapshotId: r.snapshotId, target: out });
    assert.deepEqual(compareTrees(src, out), []);
  } finally {
    tmp.cleanup();
  }
});

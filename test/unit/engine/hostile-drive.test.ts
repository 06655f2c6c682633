/**
 * A drive written by an attacker (who knows the format and, for encrypted drives, the key): every
 * command refuses what it forged with an error naming the problem, and nothing outside the drive
 * is unlinked, opened or written (a canary file beside the drive survives).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { compress } from 'zstd-napi';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { verify } from '../../../src/engine/checker';
import { prune } from '../../../src/engine/pruner';
import { listSnapshots, writeSnapshot } from '../../../src/engine/snapshot';
import { encodeIndex, readIndexFiles } from '../../../src/engine/index-file';
import type { IndexFile, IndexPack } from '../../../src/engine/index-file';
import { PackBuilder } from '../../../src/engine/pack';
import { decodeBlob, decodeJson } from '../../../src/engine/blob';
import { decodeTree } from '../../../src/engine/tree';
import { seal, sealWithAad } from '../../../src/engine/crypto';
import { blobAad, metadataAad, trailerAad } from '../../../src/engine/config';
import { contentId } from '../../../src/engine/hash';
import { validateCheckpoint } from '../../../src/engine/checkpoint';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { MAX_CHUNK } from '../../../src/engine/chunker';
import { MAX_DATA_BLOB } from '../../../src/engine/validate';
import type { Drive } from '../../../src/engine/drive';
import { CorruptionError, EngineError } from '../../../src/engine/errors';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const CANARY = 'do not delete me\n';

/** A drive with one backup of a small tree, and a canary file beside it (`<tmp>/canary`). */
async function setUp(
  tmp: string,
  create: { encryption?: boolean; kind?: 'directory' | 'tape' } = {},
): Promise<{ drive: Drive; src: string; snapshotId: string; canary: string }> {
  const src = `${tmp}/src`;
  mkdirSync(`${src}/sub`, { recursive: true });
  writeFileSync(`${src}/a.txt`, 'hello\n');
  writeFileSync(`${src}/sub/b.bin`, prng('b', 900_000));
  const canary = `${tmp}/canary`;
  writeFileSync(canary, CANARY);
  const drive = await createDrive(`${tmp}/d`, {
    encryption: create.encryption ?? true,
    kind: create.kind ?? 'directory',
    ...(create.kind === 'tape' ? { volumeSize: 32 * 1024 * 1024, volumes: 4 } : {}),
  });
  const r = await backup({ drive, sources: src, cachePath: null });
  return { drive, src, snapshotId: r.snapshotId, canary };
}

/** Writes an index file, encoded and (if the drive is) encrypted by the engine itself, as an attacker with the key would. */
async function writeIndex(drive: Drive, file: unknown): Promise<string> {
  const { id, data } = encodeIndex(drive, file as IndexFile);
  await drive.writeFile('index', id, data);
  return id;
}

async function firstPack(drive: Drive): Promise<IndexPack> {
  const [file] = (await readIndexFiles(drive)).values();
  return JSON.parse(JSON.stringify(file.packs[0])) as IndexPack;
}

/** backup, restore and prune reject with `pattern`; verify reports it; the canary is untouched. */
async function assertAllRefuse(
  tmp: string,
  s: { drive: Drive; src: string; snapshotId: string; canary: string },
  pattern: RegExp,
): Promise<void> {
  const { drive, src, snapshotId, canary } = s;
  const refused = (err: unknown): boolean => {
    assert.ok(err instanceof EngineError, String(err));
    assert.match(err.message, pattern);
    assert.match(err.message, /baton repo verify/);
    return true;
  };
  await assert.rejects(prune({ drive }), refused, 'prune');
  await assert.rejects(restore({ drive, snapshotId, target: `${tmp}/out` }), refused, 'restore');
  await assert.rejects(backup({ drive, sources: src, cachePath: null }), refused, 'backup');
  const v = await verify({ drive });
  assert.equal(v.ok, false);
  assert.ok(
    v.errors.some((e) => pattern.test(e.message)),
    JSON.stringify(v.errors),
  );
  assert.equal(readFileSync(canary, 'utf8'), CANARY);
}

for (const encryption of [true, false]) {
  void test(`a forged index with a pack ID leading out of the drive is refused by prune, verify, restore and backup (${encryption ? 'encrypted' : 'unencrypted'})`, async () => {
    const tmp = tempDir();
    try {
      const s = await setUp(tmp.path, { encryption });
      const real = await firstPack(s.drive);
      // data/<..>/../canary is <tmp>/canary: prune would unlink it as an unused pack; the second entry
      // would make the real pack's blobs be read from /etc/passwd
      const evil = '../canary';
      await writeIndex(s.drive, {
        version: 1,
        packs: [
          { id: evil, length: CANARY.length, blobs: [] },
          { ...real, id: '../../../../../../../../etc/passwd' },
        ],
      });
      await assertAllRefuse(tmp.path, s, /names pack 0 "\.\.\/canary", which is not an ID/);
      // and the pack store itself will not build such a path
      await assert.rejects(s.drive.packs.deletePack({ id: evil, length: 17 }), /refusing to build a path/);
      assert.throws(() => s.drive.packs.packFile({ id: evil, length: 17 }), /refusing to build a path/);
      assert.equal(readFileSync(s.canary, 'utf8'), CANARY);
    } finally {
      tmp.cleanup();
    }
  });
}

void test('a data/<ab> directory that is a symlink out of the drive is neither listed nor deleted through by prune', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path);
    // a prefix no real pack of the drive has
    const ab = ['ff', 'fe', 'fd', 'fc'].find((p) => !existsSync(`${s.drive.path}/data/${p}`)) ?? 'fb';
    const id = ab.repeat(32);
    mkdirSync(`${tmp.path}/outside`);
    writeFileSync(`${tmp.path}/outside/${id}`, CANARY);
    symlinkSync(`${tmp.path}/outside`, `${s.drive.path}/data/${ab}`);
    const r = await prune({ drive: s.drive });
    assert.equal(r.packsDeleted, 0);
    await assert.rejects(s.drive.packs.deletePack({ id, length: 17 }), /data\/f[b-f] on drive .* is not a directory/);
    assert.equal(readFileSync(`${tmp.path}/outside/${id}`, 'utf8'), CANARY);
  } finally {
    tmp.cleanup();
  }
});

void test('blob offsets and lengths past the pack end, and impossible pack lengths, are refused', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path);
    const real = await firstPack(s.drive);
    const long = { ...real, blobs: real.blobs.map((b, i) => (i === 0 ? { ...b, offset: real.length - 20 } : b)) };
    const name = await writeIndex(s.drive, { version: 1, packs: [long] });
    await assertAllRefuse(
      tmp.path,
      s,
      /places blob [0-9a-f]{64} of pack [0-9a-f]{64} at \d+\.\.\d+, outside the pack's data/,
    );
    await s.drive.remove('index', name);

    const huge = { ...real, length: 2 ** 40 };
    const name2 = await writeIndex(s.drive, { version: 1, packs: [huge] });
    await assertAllRefuse(tmp.path, s, /gives the length of pack [0-9a-f]{64} as 1099511627776, not an integer from 0/);
    await s.drive.remove('index', name2);

    const negative = { ...real, blobs: real.blobs.map((b) => ({ ...b, length: -1 })) };
    await writeIndex(s.drive, { version: 1, packs: [negative] });
    await assertAllRefuse(tmp.path, s, /gives the stored length of blob [0-9a-f]{64} of pack [0-9a-f]{64} as -1/);
  } finally {
    tmp.cleanup();
  }
});

void test('tape: a pack placed in a volume the drive does not have, or over a volume label, is refused', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path, { kind: 'tape' });
    const real = await firstPack(s.drive);
    const name = await writeIndex(s.drive, { version: 1, packs: [{ ...real, volume: 99 }] });
    await assertAllRefuse(tmp.path, s, /gives the volume of pack [0-9a-f]{64} as 99, not an integer from 0 to 4/);
    await s.drive.remove('index', name);
    await writeIndex(s.drive, { version: 1, packs: [{ ...real, offset: 0 }] });
    await assertAllRefuse(tmp.path, s, /places pack [0-9a-f]{64} \(\d+ bytes\) at offset 0, outside its volume's data/);
    assert.throws(
      () => s.drive.packs.packFile({ ...real, volume: -1 }),
      /refusing to build a path .* volume number -1/,
    );
  } finally {
    tmp.cleanup();
  }
});

void test('a snapshot whose root tree ID is not hex is refused', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path);
    const [{ snapshot }] = await listSnapshots(s.drive);
    const forged = await writeSnapshot(s.drive, { ...snapshot, tree: '../../../../etc/passwd' });
    const pattern =
      /snapshot [0-9a-f]{64} on drive .* names the root tree "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd", which is not an ID/;
    await assert.rejects(restore({ drive: s.drive, snapshotId: forged, target: `${tmp.path}/out` }), pattern);
    await assert.rejects(prune({ drive: s.drive }), pattern);
    await assert.rejects(listSnapshots(s.drive), pattern);
    const v = await verify({ drive: s.drive });
    assert.ok(
      v.errors.some((e) => pattern.test(e.message)),
      JSON.stringify(v.errors),
    );
    assert.equal(readFileSync(s.canary, 'utf8'), CANARY);
  } finally {
    tmp.cleanup();
  }
});

void test('a refs/ entry with a traversing pack ID, or not named by a snapshot ID, is refused', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path);
    const name = contentId(Buffer.from('some snapshot'));
    const refs = { version: 1, snapshot: name, drive: s.drive.id, packs: ['../../canary'] };
    await s.drive.writeFile('refs', name, Buffer.from(JSON.stringify(refs)));
    const pattern = /refs\/[0-9a-f]{64} on drive .* names pack "\.\.\/\.\.\/canary", which is not an ID/;
    await assert.rejects(prune({ drive: s.drive }), pattern);
    const v = await verify({ drive: s.drive });
    assert.ok(
      v.errors.some((e) => pattern.test(e.message)),
      JSON.stringify(v.errors),
    );
    await s.drive.remove('refs', name);
    await s.drive.writeFile('refs', 'not-an-id', Buffer.from(JSON.stringify({ ...refs, packs: [] })));
    await assert.rejects(prune({ drive: s.drive }), /refs\/not-an-id on drive .* is not named by a snapshot ID/);
    assert.equal(readFileSync(s.canary, 'utf8'), CANARY);
  } finally {
    tmp.cleanup();
  }
});

void test('a checkpoint naming a traversing pack, partial tree or frame is refused before anything is opened', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path);
    const cps: Checkpoint[] = [];
    writeFileSync(`${s.src}/c.bin`, prng('c', 3 * 1024 * 1024));
    const other = await createDrive(`${tmp.path}/d2`);
    await backup({
      drive: other,
      sources: s.src,
      cachePath: null,
      checkpointEvery: { bytes: 1 },
      onCheckpoint: (cp) => void cps.push(cp),
    });
    const cp = cps[0];
    const bad = (f: (c: Checkpoint) => void): Checkpoint => {
      const c = structuredClone(cp);
      f(c);
      return c;
    };
    const refused = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof EngineError && err.code === 'BAD_CHECKPOINT', String(err));
      assert.match(err.message, pattern);
      return true;
    };
    assert.throws(
      () => validateCheckpoint(bad((c) => (c.drives[0].packs = ['../../canary']))),
      refused(/names pack "\.\.\/\.\.\/canary", which is not an ID/),
    );
    assert.throws(
      () => validateCheckpoint(bad((c) => (c.frames[0].nodesTree = '../x'))),
      refused(/names a partial tree as "\.\.\/x", which is not an ID/),
    );
    assert.throws(
      () => validateCheckpoint(bad((c) => (c.frames[0].name = '../'))),
      refused(/gives a frame name as "\.\.\/", not the hex of a name/),
    );
    await assert.rejects(
      backup({ drive: s.drive, sources: s.src, resumeFrom: bad((c) => (c.drives[0].id = '../../x')), cachePath: null }),
      refused(/names a drive "\.\.\/\.\.\/x", not a drive ID/),
    );
    assert.equal(readFileSync(s.canary, 'utf8'), CANARY);
  } finally {
    tmp.cleanup();
  }
});

/** A zstd frame that claims `claimed` bytes of content but holds one 128 KiB run of zeros. */
function bombFrame(claimed: number): Buffer {
  const header = Buffer.alloc(4 + 1 + 8);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xe0; // 8-byte content size, single segment
  header.writeBigUInt64LE(BigInt(claimed), 5);
  const block = Buffer.from([0, 0, 0, 0]);
  block.writeUIntLE((128 * 1024 * 8) | (1 << 1) | 1, 0, 3); // last block, RLE, 128 KiB of block[3]
  return Buffer.concat([header, block]);
}

void test('a zstd bomb is refused without allocating what it claims: blobs, trees in packs, snapshots', async () => {
  const tmp = tempDir();
  try {
    const s = await setUp(tmp.path);
    const key = s.drive.key;
    const where = 'pack p';
    // a real bomb: 128 MiB of zeros in a few KiB, listed as 1000 bytes
    const zeros = compress(Buffer.alloc(128 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    for (const transient of [false, true]) {
      assert.throws(
        () =>
          decodeBlob(
            key,
            seal(key, zeros),
            { id: contentId(Buffer.alloc(1000)), compressed: true, rawLength: 1000 },
            where,
            transient,
          ),
        (err: unknown) => err instanceof CorruptionError && /does not decompress to its 1000 bytes/.test(err.message),
      );
    }
    // a blob claiming more than any blob may hold is refused before it is decrypted
    assert.throws(
      () =>
        decodeBlob(
          key,
          seal(key, bombFrame(2 ** 40)),
          { id: contentId(Buffer.alloc(1)), compressed: true, rawLength: 2 ** 40 },
          where,
        ),
      /claims 1099511627776 bytes, more than a blob may hold/,
    );
    assert.ok(
      process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024,
      'nothing near the claimed size was allocated',
    );

    // metadata (index files, snapshots): the frame's claimed size is checked before decompressing
    assert.throws(
      () => decodeJson(key, seal(key, bombFrame(2 ** 40)), 'snapshot x', Buffer.alloc(0)),
      /claims 1099511627776 bytes of JSON/,
    );
    const bomb = sealWithAad(key, bombFrame(2 ** 40), metadataAad(s.drive.config.version, 'snapshot'));
    const bombId = contentId(bomb);
    await s.drive.writeFile('snapshots', bombId, bomb);
    await assert.rejects(listSnapshots(s.drive), /claims 1099511627776 bytes of JSON/);
    await s.drive.remove('snapshots', bombId);

    // a tree blob in a pack that inflates far past its listed length: restore and prune refuse it
    const treeId = contentId(Buffer.from('{"nodes":[]}'));
    const pb = new PackBuilder();
    const version = s.drive.config.version;
    pb.add(
      treeId,
      'tree',
      sealWithAad(key, zeros, blobAad(version, 'tree', treeId) ?? Buffer.alloc(0)),
      1024 * 1024,
      true,
    );
    const pack = pb.finishParts(key, trailerAad(version));
    await s.drive.packs.writePack(pack.id, pack.parts, pack.length);
    await s.drive.packs.sync();
    await writeIndex(s.drive, { version: 1, packs: [{ id: pack.id, length: pack.length, blobs: pack.blobs }] });
    const [{ snapshot }] = await listSnapshots(s.drive);
    const snapshotId = await writeSnapshot(s.drive, { ...snapshot, tree: treeId });
    const pattern = new RegExp(`blob ${treeId} in pack ${pack.id} .*does not decompress to its 1048576 bytes`);
    await assert.rejects(restore({ drive: s.drive, snapshotId, target: `${tmp.path}/out` }), pattern);
    await assert.rejects(prune({ drive: s.drive }), pattern);
    assert.ok(existsSync(s.canary));

    // and an index listing a data blob bigger than the chunker ever makes is refused on reading
    const real = await firstPack(s.drive);
    await writeIndex(s.drive, {
      version: 1,
      packs: [{ ...real, blobs: real.blobs.map((b) => ({ ...b, type: 'data', rawLength: 2 ** 31 })) }],
    });
    await assert.rejects(
      prune({ drive: s.drive }),
      /gives the plain length of blob [0-9a-f]{64} of pack [0-9a-f]{64} as 2147483648, not an integer from 0 to 8388608/,
    );
    await assert.rejects(
      backup({ drive: s.drive, sources: s.src, cachePath: null }),
      /as 2147483648, not an integer from 0 to 8388608/,
    );
  } finally {
    tmp.cleanup();
  }
});

void test('a tree node of the wrong shape is refused; the largest data blob is the largest chunk', () => {
  const node = { name: 'a', type: 'file', mode: 420, uid: 0, gid: 0, mtimeNs: '1', size: 1, content: [] as string[] };
  assert.deepEqual(decodeTree(Buffer.from(JSON.stringify({ nodes: [node] })), 't').nodes[0], node);
  const bad = (n: object): Buffer => Buffer.from(JSON.stringify({ nodes: [{ ...node, ...n }] }));
  assert.throws(
    () => decodeTree(bad({ content: ['../x'] }), 't'),
    /names content chunk of node "a": "\.\.\/x", which is not an ID/,
  );
  assert.throws(
    () => decodeTree(bad({ type: 'dir', subtree: 'zz' }), 't'),
    /names the subtree of node "a" as "zz", which is not an ID/,
  );
  assert.throws(() => decodeTree(bad({ type: 'door' }), 't'), /gives node "a" the unknown type "door"/);
  assert.throws(() => decodeTree(bad({ mode: -1 }), 't'), /gives node "a" a mode, uid or gid/);
  assert.throws(() => decodeTree(bad({ size: 1e300 }), 't'), /gives the size of node "a" as 1e\+300/);
  assert.throws(() => decodeTree(Buffer.from('{"nodes":{}}'), 't'), /tree t has a node list that is not a list/);
  assert.equal(MAX_DATA_BLOB, MAX_CHUNK);
});

/**
 * Format 6's content key (issue 13 item 6, "no fingerprinting"): a known file backed up into drives
 * of two clusters gets other blob IDs and other chunk boundaries on each, none computable without
 * the key, while a format 5 drive's are exactly what anyone computes from the file; drives of one
 * cluster still resume and dedup across each other; version 5 drives still back up and restore;
 * key material that does not fit is refused, naming the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup, resume } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { BlobIndex } from '../../../src/engine/index-file';
import { Drive } from '../../../src/engine/drive';
import { EngineError } from '../../../src/engine/errors';
import { chunkLengths, GEAR } from '../../../src/engine/chunker';
import { contentId } from '../../../src/engine/hash';
import { configMac } from '../../../src/engine/config';
import type { DriveConfig } from '../../../src/engine/config';
import { clusterContentKey, contentIds, keyedGear, sealContentKey } from '../../../src/engine/content-key';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

/** A "known file": 6 MiB of incompressible data, so every chunk is stored raw (sealed = plain + 28 bytes). */
const KNOWN = prng('a file the attacker has a copy of', 6 * 1024 * 1024);
const SEAL_OVERHEAD = 12 + 16;

function source(dir: string): string {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'known.bin'), KNOWN);
  return src;
}

/** The data blobs of a drive's index, as the drive stores them (ID, plaintext and stored lengths). */
async function dataBlobs(drive: Drive): Promise<{ id: string; rawLength: number; length: number }[]> {
  const index = await BlobIndex.load(drive);
  const out: { id: string; rawLength: number; length: number }[] = [];
  for (const { pack } of index.packs.values()) for (const b of pack.blobs) if (b.type === 'data') out.push(b);
  return out;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** What anyone computes from the known file with the public chunker and unkeyed BLAKE3. */
function publicPrediction(): { ids: string[]; sizes: number[] } {
  const lengths = chunkLengths(KNOWN);
  let at = 0;
  const ids = lengths.map((len) => contentId(KNOWN.subarray(at, (at += len))));
  return { ids, sizes: sorted(lengths.map((len) => len + SEAL_OVERHEAD)) };
}

function readConfig(path: string): DriveConfig {
  return JSON.parse(readFileSync(join(path, 'config'), 'utf8')) as DriveConfig;
}

function writeConfig(path: string, cfg: DriveConfig): void {
  writeFileSync(join(path, 'config'), JSON.stringify(cfg, null, 2) + '\n');
}

function refused(code: string, message: RegExp): (err: unknown) => boolean {
  return (err) => err instanceof EngineError && err.code === code && message.test(err.message);
}

void test('a known file in v6 drives of two clusters: other IDs and other cut points on each, none predictable; on v5 both are', async () => {
  const tmp = tempDir();
  try {
    const src = source(tmp.path);
    const v5 = await createDrive(join(tmp.path, 'v5'), { formatVersion: 5 });
    const one = await createDrive(join(tmp.path, 'one'), { contentKey: randomBytes(32) });
    const two = await createDrive(join(tmp.path, 'two'), { contentKey: randomBytes(32) });
    assert.equal(one.config.version, 6);
    for (const drive of [v5, one, two]) await backup({ drive, sources: src, cachePath: null });
    const predicted = publicPrediction();
    assert.ok(predicted.ids.length >= 3, `the known file makes ${predicted.ids.length} chunks`);

    // format 5: anyone with the file computes the blob IDs and the stored sizes
    const b5 = await dataBlobs(v5);
    assert.deepEqual(b5.map((b) => b.id).sort(), [...predicted.ids].sort(), 'v5 IDs are the public BLAKE3');
    assert.deepEqual(sorted(b5.map((b) => b.length)), predicted.sizes, 'v5 stored sizes follow the public chunker');

    // format 6: neither, and the two clusters differ from each other
    const b1 = await dataBlobs(one);
    const b2 = await dataBlobs(two);
    for (const [name, blobs] of [
      ['cluster one', b1],
      ['cluster two', b2],
    ] as const) {
      assert.ok(!blobs.some((b) => predicted.ids.includes(b.id)), `${name}: no blob ID is the public BLAKE3`);
      assert.notDeepEqual(sorted(blobs.map((b) => b.length)), predicted.sizes, `${name}: sizes not the public cuts`);
      assert.equal(
        blobs.reduce((n, b) => n + b.rawLength, 0),
        KNOWN.length,
        `${name}: the chunks still cover the file`,
      );
    }
    assert.ok(!b1.some((b) => b2.some((c) => c.id === b.id)), 'the clusters share no blob ID');
    assert.notDeepEqual(sorted(b1.map((b) => b.rawLength)), sorted(b2.map((b) => b.rawLength)), 'nor cut points');
    // each is what the drive's own key gives: cut with its keyed gear table
    assert.deepEqual(sorted(b1.map((b) => b.rawLength)), sorted(chunkLengths(KNOWN, one.ids.gear ?? GEAR)));

    // and they restore byte for byte
    for (const drive of [v5, one]) {
      const [snap] = readdirSync(join(drive.path, 'snapshots'));
      const out = join(tmp.path, `out-${drive.config.version}`);
      await restore({ drive, snapshotId: snap, target: out, password: PASSWORD });
      assert.deepEqual(compareTrees(src, out), [], `restore from v${drive.config.version}`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('drives of one cluster share the content key: a backup resumes on another, reuses its chunks, restores exactly', async () => {
  const tmp = tempDir();
  try {
    const src = source(tmp.path);
    const clusterKey = await clusterContentKey(PASSWORD, 'prod-east');
    assert.ok(clusterKey.equals(await clusterContentKey(PASSWORD, 'prod-east')), 'every node derives the same key');
    assert.ok(!clusterKey.equals(await clusterContentKey(PASSWORD, 'prod-west')), 'another cluster, another key');
    const a = await createDrive(join(tmp.path, 'a'), { contentKey: clusterKey });
    const b = await createDrive(join(tmp.path, 'b'), { contentKey: a.contentKey ?? undefined });
    assert.equal(a.ids.fingerprint, b.ids.fingerprint);
    const cps: Checkpoint[] = [];
    await backup({
      drive: a,
      sources: src,
      cachePath: null,
      segmentSize: 1024 * 1024,
      checkpointEvery: { seconds: 3600, bytes: 1 },
      onCheckpoint: (cp) => void cps.push(cp),
    });
    const mid = cps[Math.floor(cps.length / 2)];
    assert.ok(
      mid.drives.some((d) => d.packs.length > 0),
      'the checkpoint holds chunks on drive A',
    );
    const r = await resume(mid, { drive: b, cachePath: null, otherDrives: [a] });
    // A has every chunk of the file (its backup went on to the end): B, cutting and naming them
    // alike, stores none of them again
    assert.deepEqual(await dataBlobs(b), [], 'every chunk deduplicated against drive A');
    assert.deepEqual(r.snapshotId.length, 64);
    const out = join(tmp.path, 'out');
    await restore({ drive: b, snapshotId: r.snapshotId, target: out, password: PASSWORD });
    assert.deepEqual(compareTrees(src, out), []);

    // a drive of another cluster cannot take the checkpoint: refused, nothing written there
    const c = await createDrive(join(tmp.path, 'c'), { contentKey: randomBytes(32) });
    const before = readdirSync(join(c.path, 'snapshots')).length;
    await assert.rejects(
      resume(mid, { drive: c, cachePath: null, otherDrives: [a] }),
      refused(
        'CHECKPOINT_REFUSED',
        /cannot be reused on drive .*\/c \(content key [0-9a-f]{32}\): their chunks are cut and named under different keys; nothing was written\. Start a fresh backup, or resume on a drive initialised with the checkpoint drive's content key \(baton repo init --content-key-from .*\/a\)/,
      ),
    );
    // nor a version 5 drive (unkeyed)
    const old = await createDrive(join(tmp.path, 'old'), { formatVersion: 5 });
    await assert.rejects(
      resume(mid, { drive: old, cachePath: null, otherDrives: [a] }),
      refused('CHECKPOINT_REFUSED', /\(unkeyed IDs \(format 5\)\)/),
    );
    assert.equal(readdirSync(join(c.path, 'snapshots')).length, before);
    assert.deepEqual(readdirSync(join(c.path, 'data')), []);
  } finally {
    tmp.cleanup();
  }
});

void test('content key material that does not fit is refused, naming the problem; nothing is read or written', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'd');
    const drive = await createDrive(path);
    const key = drive.key as Buffer;
    const original = readConfig(path);
    const open = (): Promise<Drive> => Drive.open(path, { password: PASSWORD, stateDir: join(tmp.path, 'state') });

    // another drive's sealed content key put in (the MAC was made anew by someone with the master key,
    // or the config is damaged): it does not open under this drive's master key
    const other = await createDrive(join(tmp.path, 'other'), { contentKey: randomBytes(32) });
    const swapped = { ...original, contentKey: readConfig(other.path).contentKey };
    writeConfig(path, { ...swapped, mac: configMac(key, swapped) });
    await assert.rejects(
      open(),
      refused('BAD_CONFIG', /the content key in the config of drive .* does not open with the drive's master key/),
    );
    // swapped by someone without the key: the config's MAC says so first
    writeConfig(path, { ...original, contentKey: readConfig(other.path).contentKey });
    await assert.rejects(open(), refused('BAD_CONFIG', /failed authentication \(its MAC does not match/));
    // stripped, malformed, or the version edited down to 5 to get unkeyed IDs
    writeConfig(path, { ...original, contentKey: undefined });
    await assert.rejects(open(), refused('BAD_CONFIG', /it is version 6 and encrypted but carries no content key/));
    writeConfig(path, { ...original, contentKey: 'AAAA' });
    await assert.rejects(open(), refused('BAD_CONFIG', /its content key is malformed/));
    writeConfig(path, { ...original, version: 5 });
    await assert.rejects(open(), refused('BAD_CONFIG', /it says version 5 but carries a version 6 content key/));
    // switched to unencrypted, opened without a passphrase: the sealed key gives it away
    writeConfig(path, { ...original, encryption: null, mac: undefined });
    await assert.rejects(
      Drive.open(path, { stateDir: join(tmp.path, 'state2') }),
      refused('BAD_CONFIG', /says it is unencrypted .* but its config carries the sealed content key/),
    );
    writeConfig(path, original);
    assert.ok((await open()).contentKey?.equals(drive.contentKey as Buffer), 'the untouched config opens as before');

    // init with a content key that is not 32 bytes: refused, no drive made
    await assert.rejects(
      createDrive(join(tmp.path, 'bad'), { contentKey: Buffer.alloc(16) }),
      refused('BAD_OPTION', /content key given to initialise drive .* is not 32 bytes; nothing was written/),
    );
    assert.throws(() => readdirSync(join(tmp.path, 'bad')), /ENOENT/);
  } finally {
    tmp.cleanup();
  }
});

void test('the keyed gear table is deterministic for its key and unlike the public one; unencrypted v6 drives are unkeyed', async () => {
  const k = randomBytes(32);
  assert.deepEqual(contentIds(k).gear, contentIds(Buffer.from(k)).gear);
  assert.notDeepEqual(keyedGear(k), GEAR);
  assert.notDeepEqual(contentIds(randomBytes(32)).gear, contentIds(k).gear);
  assert.equal(new Set(contentIds(k).gear).size, 256, 'no two entries alike');
  assert.equal(sealContentKey(k, k).length, 80, 'base64 of 60 bytes');
  const tmp = tempDir();
  try {
    const plain = await Drive.open(join(tmp.path, 'plain'), { create: { kind: 'directory', encryption: false } });
    assert.equal(plain.config.version, 6);
    assert.equal(plain.contentKey, null);
    assert.equal(readConfig(plain.path).contentKey, undefined);
    await backup({ drive: plain, sources: source(tmp.path), cachePath: null });
    assert.deepEqual((await dataBlobs(plain)).map((b) => b.id).sort(), [...publicPrediction().ids].sort());
  } finally {
    tmp.cleanup();
  }
});

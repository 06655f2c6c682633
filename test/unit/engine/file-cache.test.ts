/**
 * The file cache: keys from path and stat, entries that only hold chunks the index has, this run's
 * entries streamed to a temp file that replaces the cache on save, and older entries kept on resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { FileCache } from '../../../src/engine/file-cache';
import { BlobIndex } from '../../../src/engine/index-file';
import type { Drive } from '../../../src/engine/drive';
import { tempDir } from '../../helpers/temp';

const drive = { id: 'drive-1', path: '/d' } as Drive;

function indexWith(ids: string[]): BlobIndex {
  const idx = new BlobIndex();
  const blobs = ids.map((id, i) => ({
    id,
    type: 'data' as const,
    offset: 8 + i,
    length: 1,
    rawLength: 1,
    compressed: false,
  }));
  idx.addPack(drive, { id: 'a'.repeat(64), length: 100, blobs });
  return idx;
}

/** The chunk IDs the cache has for `key`, or null. */
function found(c: FileCache, key: Buffer): string[] | null {
  const entries = c.lookup(key);
  return entries && c.idsOf(entries);
}

const st = (over: Partial<Record<'size' | 'mtimeNs' | 'ctimeNs' | 'ino', bigint>> = {}): BigIntStats =>
  ({ size: 10n, mtimeNs: 1000n, ctimeNs: 2000n, ino: 42n, ...over }) as BigIntStats;

void test('the file cache finds unchanged files, forgets changed ones and chunks the index lacks, and survives a restart', async () => {
  const tmp = tempDir();
  try {
    const path = `${tmp.path}/cache/c.cache`;
    const ids = Array.from({ length: 20 }, () => randomBytes(32).toString('hex'));
    const idx = indexWith(ids);
    const first = await FileCache.load(path, drive.id, idx);
    const a = Buffer.from('/src/a');
    const many = Buffer.from('/src/many');
    assert.equal(found(first, first.key(a, st())), null);
    first.record(first.key(a, st()), [ids[0]]);
    first.record(first.key(Buffer.from('/src/empty'), st({ size: 0n })), []);
    first.record(first.key(many, st()), ids.slice(1, 20));
    first.record(first.key(Buffer.from('/src/gone-chunk'), st()), [ids[0], randomBytes(32).toString('hex')]);
    assert.ok(existsSync(first.tempPath), 'entries go to a temp file while the backup runs');
    await first.save(false);
    assert.ok(!existsSync(first.tempPath));

    const second = await FileCache.load(path, drive.id, idx);
    assert.deepEqual(found(second, second.key(a, st())), [ids[0]]);
    assert.deepEqual(found(second, second.key(Buffer.from('/src/empty'), st({ size: 0n }))), []);
    assert.deepEqual(found(second, second.key(many, st())), ids.slice(1, 20));
    assert.equal(found(second, second.key(Buffer.from('/src/gone-chunk'), st())), null, 'a chunk not on the drive');
    for (const changed of [{ size: 11n }, { mtimeNs: 1001n }, { ctimeNs: 2001n }, { ino: 43n }]) {
      assert.equal(
        found(second, second.key(a, st(changed))),
        null,
        JSON.stringify(changed, (_k, v: unknown) => String(v)),
      );
    }
    assert.equal(found(second, second.key(Buffer.from('/src/b'), st())), null);
    // a resumed run that saw only `many` keeps the older entries it did not use
    second.record(second.key(many, st()), ids.slice(1, 20));
    await second.save(true);
    const third = await FileCache.load(path, drive.id, idx);
    assert.deepEqual(found(third, third.key(a, st())), [ids[0]]);
    assert.deepEqual(found(third, third.key(many, st())), ids.slice(1, 20));
    // a run that is not resumed keeps only what it recorded (here as a file found unchanged, by entries)
    third.recordEntries(third.key(many, st()), third.lookup(third.key(many, st())) ?? []);
    await third.save(false);
    const fourth = await FileCache.load(path, drive.id, idx);
    assert.equal(found(fourth, fourth.key(a, st())), null);
    assert.deepEqual(found(fourth, fourth.key(many, st())), ids.slice(1, 20));
    fourth.discard();

    // another drive, an old JSON cache or garbage: start empty; a failed run leaves the cache as it was
    const other = await FileCache.load(path, 'drive-2', idx);
    assert.equal(found(other, other.key(many, st())), null);
    other.record(other.key(a, st()), [ids[0]]);
    other.discard();
    assert.ok(!existsSync(other.tempPath));
    const again = await FileCache.load(path, drive.id, idx);
    assert.deepEqual(found(again, again.key(many, st())), ids.slice(1, 20));
    again.discard();
    for (const junk of ['{"version":1,"entries":{}}', 'BATONFC2\xff\xff\xff\xff', '']) {
      writeFileSync(path, junk);
      const c = await FileCache.load(path, drive.id, idx);
      assert.equal(found(c, c.key(many, st())), null);
      c.discard();
    }
  } finally {
    tmp.cleanup();
  }
});

void test('a file with many chunks round-trips; temp files of killed runs are removed after a day', async () => {
  const tmp = tempDir();
  try {
    const path = `${tmp.path}/c.cache`;
    const ids = Array.from({ length: 40_000 }, () => randomBytes(32).toString('hex'));
    const idx = indexWith(ids);
    const stale = `${path}.tmp-0123456789ab`;
    const fresh = `${path}.tmp-ba9876543210`;
    writeFileSync(stale, 'left by a killed backup');
    writeFileSync(fresh, 'a backup running now');
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(stale, old, old);
    const c = await FileCache.load(path, drive.id, idx);
    assert.ok(!existsSync(stale) && existsSync(fresh));
    // 40,000 chunks: more than the output buffer holds, written on its own
    c.record(c.key(Buffer.from('/big'), st()), ids);
    c.record(c.key(Buffer.from('/small'), st()), [ids[7]]);
    await c.save(false);
    assert.ok(statSync(path).size > 40_000 * 32);
    const d = await FileCache.load(path, drive.id, idx);
    assert.deepEqual(found(d, d.key(Buffer.from('/big'), st())), ids);
    assert.deepEqual(found(d, d.key(Buffer.from('/small'), st())), [ids[7]]);
    d.discard();
    assert.deepEqual(readdirSync(tmp.path).sort(), ['c.cache', 'c.cache.tmp-ba9876543210']);
  } finally {
    tmp.cleanup();
  }
});

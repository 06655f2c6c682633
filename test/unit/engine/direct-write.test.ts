import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { constants, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { AlignedBuffer, PackFileWriter } from '../../../src/engine/direct-write';
import { tempDir } from '../../helpers/temp';

/** The open flags of a file descriptor, from /proc (Linux). */
function openFlags(fd: number): number {
  const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('flags:'));
  return parseInt((line ?? '').split(/\s+/)[1], 8);
}

/** `total` random bytes cut into parts of awkward sizes. */
function partsOf(total: number): Buffer[] {
  const parts: Buffer[] = [];
  let left = total;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, [1, 4095, 7, 65537, 3 * 1024 * 1024][i % 5]);
    parts.push(randomBytes(n));
    left -= n;
  }
  return parts;
}

for (const direct of [true, false]) {
  void test(`pack files written ${direct ? 'with O_DIRECT' : 'through the page cache'} hold exactly their parts`, async () => {
    const tmp = tempDir();
    try {
      const w = new PackFileWriter(direct);
      // sizes around the 4 KiB alignment and a buffer that has to grow
      for (const size of [1, 4095, 4096, 4097, 100_000, 17 * 1024 * 1024 + 13, 5000]) {
        const parts = partsOf(size);
        const path = `${tmp.path}/p-${size}`;
        const fh = await w.create(path, parts, size);
        try {
          if (w.usesDirect) assert.ok(openFlags(fh.fd) & constants.O_DIRECT, 'written with O_DIRECT');
          else assert.equal(openFlags(fh.fd) & constants.O_DIRECT, 0);
          await fh.sync();
        } finally {
          await fh.close();
        }
        assert.ok(readFileSync(path).equals(Buffer.concat(parts)), `${size} bytes read back the same`);
      }
      if (!direct) assert.equal(w.usesDirect, false);
    } finally {
      tmp.cleanup();
    }
  });
}

void test('concurrent pack writes take turns with the shared aligned buffer', async () => {
  const tmp = tempDir();
  try {
    const w = new PackFileWriter();
    const sets = [3 * 1024 * 1024 + 1, 9000, 2 * 1024 * 1024].map((n, i) => ({
      path: `${tmp.path}/c${i}`,
      parts: partsOf(n),
      n,
    }));
    const handles = await Promise.all(sets.map((s) => w.create(s.path, s.parts, s.n)));
    for (const fh of handles) await fh.close();
    for (const s of sets) assert.ok(readFileSync(s.path).equals(Buffer.concat(s.parts)));
  } finally {
    tmp.cleanup();
  }
});

void test('a pack file that already exists is refused and left as it was', async () => {
  const tmp = tempDir();
  try {
    const path = `${tmp.path}/taken`;
    writeFileSync(path, 'keep me');
    for (const direct of [true, false]) {
      await assert.rejects(new PackFileWriter(direct).create(path, [randomBytes(10)], 10), /EEXIST/);
      assert.equal(readFileSync(path, 'utf8'), 'keep me');
    }
  } finally {
    tmp.cleanup();
  }
});

void test('an AlignedBuffer keeps its contents when it grows, and is written as it is', async () => {
  const tmp = tempDir();
  try {
    const a = new AlignedBuffer(10);
    const head = randomBytes(70_000);
    a.reserve(head.length);
    a.bytes.set(head, 0);
    const more = randomBytes(3 * 1024 * 1024);
    a.reserve(head.length + more.length);
    a.bytes.set(more, head.length);
    const length = head.length + more.length;
    assert.ok(a.bytes.subarray(0, head.length).equals(head), 'growing kept the bytes');
    const w = new PackFileWriter();
    const fh = await w.create(`${tmp.path}/a`, [a.bytes.subarray(0, length)], length);
    await fh.close();
    assert.ok(readFileSync(`${tmp.path}/a`).equals(Buffer.concat([head, more])));
  } finally {
    tmp.cleanup();
  }
});

void test('a file system that refuses O_DIRECT (ramfs) gets buffered writes, and the file is whole', async (t) => {
  const tmp = tempDir();
  const mnt = `${tmp.path}/ramfs`;
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'ramfs', 'ramfs', mnt], { stdio: 'ignore' });
  } catch {
    tmp.cleanup();
    t.skip('needs root to mount a ramfs');
    return;
  }
  try {
    const w = new PackFileWriter();
    assert.equal(w.usesDirect, true);
    const parts = partsOf(70_000);
    const fh = await w.create(`${mnt}/p`, parts, 70_000);
    try {
      assert.equal(openFlags(fh.fd) & constants.O_DIRECT, 0, 'written through the page cache');
    } finally {
      await fh.close();
    }
    assert.equal(w.usesDirect, false, 'and so from then on');
    assert.ok(readFileSync(`${mnt}/p`).equals(Buffer.concat(parts)));
    assert.deepEqual(readdirSync(mnt), ['p'], 'no failed attempt left behind');
  } finally {
    execFileSync('umount', [mnt]);
    tmp.cleanup();
  }
});

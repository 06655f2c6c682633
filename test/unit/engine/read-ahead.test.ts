import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { ReadAhead } from '../../../src/engine/read-ahead';
import { prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

/** Bytes of `file` in the page cache (util-linux fincore), or null without the tool. */
function cached(file: string): number | null {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

/** Drops `file` from the page cache (GNU dd's nocache with nothing copied); true when it is gone. */
function evict(file: string): boolean {
  spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
  return cached(file) === 0;
}

function written(path: string, size: number): string {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prng(path, size));
    fsyncSync(fd); // dirty pages would not be dropped
  } finally {
    closeSync(fd);
  }
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void test('a read-ahead hint has the kernel read the range into the page cache; without one it stays out', async (t) => {
  const tmp = tempDir();
  const ahead = new ReadAhead();
  try {
    const hinted = written(`${tmp.path}/hinted`, 8 * MiB);
    const control = written(`${tmp.path}/control`, 8 * MiB);
    if (cached(hinted) === null || !evict(hinted) || !evict(control)) {
      t.skip('needs fincore and a file system whose page cache a file can be dropped from (not tmpfs)');
      return;
    }
    ahead.willNeed(hinted, 0, 4 * MiB);
    assert.equal(ahead.hinted, 1);
    let got = 0;
    for (let i = 0; i < 50 && got < 4 * MiB; i++) {
      await sleep(100);
      got = cached(hinted) ?? 0;
    }
    assert.ok(got >= 4 * MiB, `${got} bytes of the hinted range in the page cache`);
    assert.equal(cached(control), 0, 'the file nobody hinted was not read');
  } finally {
    ahead.close();
    tmp.cleanup();
  }
});

void test('a hint for a file that is not there is ignored, and close() lets every file go', () => {
  const tmp = tempDir();
  const ahead = new ReadAhead();
  try {
    ahead.willNeed(`${tmp.path}/missing`, 0, 4096);
    assert.equal(ahead.hinted, 0);
    for (let i = 0; i < 20; i++) ahead.willNeed(written(`${tmp.path}/f${i}`, 4096), 0, 4096);
    assert.equal(ahead.hinted, 20);
    ahead.close();
    // the descriptors are closed: hinting again opens them anew (at most 16 kept, the newest)
    ahead.willNeed(`${tmp.path}/f0`, 0, 4096);
    assert.equal(ahead.hinted, 21);
  } finally {
    ahead.close();
    tmp.cleanup();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import type { ProgressCounters } from '../../../src/engine/progress';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

/** Largest gap between 10 ms timer ticks while `fn` runs: what a heartbeat timer would see. */
async function maxLag(fn: () => Promise<unknown>): Promise<number> {
  let last = Date.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = Date.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  return worst;
}

void test('the caller event loop stays responsive during backup and restore (work runs in worker threads)', async (t) => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    for (let i = 0; i < 6; i++) writeFileSync(`${tmp.path}/src/rand${i}`, prng(`r${i}`, 12 * 1024 * 1024));
    writeFileSync(`${tmp.path}/src/text`, Buffer.from('lorem ipsum dolor sit amet '.repeat(1_000_000)));
    for (let i = 0; i < 500; i++) writeFileSync(`${tmp.path}/src/small${i}`, prng(`s${i}`, 3000));
    const drive = await createDrive(`${tmp.path}/d`);
    const seen: ProgressCounters[] = [];
    let snapshotId = '';
    const lagBackup = await maxLag(async () => {
      snapshotId = (
        await backup({
          drive,
          sources: `${tmp.path}/src`,
          cachePath: null,
          progress: { update: (c) => void seen.push({ ...c }) },
        })
      ).snapshotId;
    });
    assert.ok(seen.length >= 500 && seen[seen.length - 1].files === 507, 'progress reported per file');
    const lagRestore = await maxLag(() => restore({ drive, snapshotId, target: `${tmp.path}/out` }));
    t.diagnostic(`max event-loop lag: backup ${lagBackup} ms, restore ${lagRestore} ms`);
    // Heartbeats need the loop every few seconds; 1 s leaves room for a loaded 2-core CI machine.
    assert.ok(lagBackup < 1000, `backup blocked the event loop for ${lagBackup} ms`);
    assert.ok(lagRestore < 1000, `restore blocked the event loop for ${lagRestore} ms`);
  } finally {
    tmp.cleanup();
  }
});

void test('progress is reported within a large file, not only when it is done', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    const size = 40 * 1024 * 1024;
    writeFileSync(`${tmp.path}/src/big`, prng('big', size));
    const drive = await createDrive(`${tmp.path}/d`);
    const seen: ProgressCounters[] = [];
    await backup({
      drive,
      sources: `${tmp.path}/src`,
      cachePath: null,
      progress: { update: (c) => void seen.push({ ...c }) },
    });
    const within = seen.filter((c) => c.files === 0 && c.bytes > 0 && c.bytes < size);
    assert.ok(within.length >= 3, `reports in the middle of the file: ${within.map((c) => c.bytes).join(', ')}`);
    assert.ok(
      within.every((c, i) => i === 0 || c.bytes > within[i - 1].bytes),
      'bytes grow',
    );
    assert.equal(within[0].currentPath, `${tmp.path}/src/big`);
    assert.equal(seen[seen.length - 1].bytes, size);
  } finally {
    tmp.cleanup();
  }
});

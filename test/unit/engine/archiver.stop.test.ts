/**
 * BackupOptions.stopSignal: a backup asked to stop takes one checkpoint at its next chance (reason
 * `stop`), ends with StoppedError naming it, and a resume from it gives the uninterrupted tree,
 * reading only what the checkpoint had not saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backup } from '../../../src/engine/archiver';
import { StoppedError } from '../../../src/engine/errors';
import { readSnapshot } from '../../../src/engine/snapshot';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { buildAwkwardTree, createDrive, PASSWORD } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test('a stopped backup checkpoints once, at once, and a resume from that checkpoint reads only the rest', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    buildAwkwardTree(src, { bigFile: 3 * 1024 * 1024 });
    const a = await createDrive(`${tmp.path}/a`);
    const whole = await backup({ drive: a, sources: src, cachePath: null });
    const fullTree = (await readSnapshot(a, whole.snapshotId)).tree;

    const stop = new AbortController();
    const cps: Checkpoint[] = [];
    let filesAtStop = 0;
    const run = backup({
      drive: await createDrive(`${tmp.path}/b`),
      sources: src,
      cachePath: null,
      segmentSize: 1024 * 1024,
      checkpointEvery: { seconds: 3600, bytes: 2 ** 40 },
      stopSignal: stop.signal,
      onCheckpoint: (cp) => void cps.push(cp),
      progress: {
        update: (c) => {
          if (c.files >= 5 && !stop.signal.aborted) {
            filesAtStop = c.files;
            stop.abort();
          }
        },
      },
    });
    const err = await run.then(
      () => assert.fail('the backup committed instead of stopping'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StoppedError, String(err));
    assert.equal(cps.length, 1, 'one checkpoint: the stop');
    assert.equal(err.seq, cps[0].seq);
    assert.equal(cps[0].reason, 'stop');
    assert.ok(
      cps[0].stats.files >= filesAtStop && cps[0].stats.files < whole.stats.files,
      JSON.stringify(cps[0].stats),
    );
    assert.match(err.message, /stopped after checkpoint 1; nothing was committed/);

    const read: number[] = [];
    const resumed = await backup({
      drive: a,
      resumeFrom: cps[0],
      sources: [],
      cachePath: null,
      password: PASSWORD,
      progress: { update: (c) => void read.push(c.bytes) },
    });
    assert.equal((await readSnapshot(a, resumed.snapshotId)).tree, fullTree);
    assert.equal(resumed.stats.files, whole.stats.files, 'no file counted twice');
    assert.equal(resumed.stats.bytes, whole.stats.bytes, 'no byte counted twice');
    assert.ok(Math.min(...read) >= cps[0].stats.bytes, 'the resume starts from the checkpoint, not from zero');
  } finally {
    tmp.cleanup();
  }
});

void test('without onCheckpoint a stop ends the backup at its next chance, saying no checkpoint was taken', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    buildAwkwardTree(src);
    const stop = new AbortController();
    stop.abort();
    const err = await backup({
      drive: await createDrive(`${tmp.path}/a`),
      sources: src,
      cachePath: null,
      stopSignal: stop.signal,
    }).then(
      () => assert.fail('committed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StoppedError);
    assert.equal(err.seq, null);
    assert.match(err.message, /before its first checkpoint/);
  } finally {
    tmp.cleanup();
  }
});

/**
 * The bandwidth limit paces restores and verifies as it paces backups (the jobs'
 * operationBandwidthLimit): a paced run takes about bytes / rate, restores byte for byte, and
 * stops within a fraction of a second when cancelled.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AbortedError, backup, restore, verify, type Drive } from '../../../src/engine';
import { RateLimiter } from '../../../src/engine/rate-limit';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';
import { compareTrees } from '../../helpers/tree';

const MiB = 1024 * 1024;

describe('bandwidth limit of restores and verifies', { timeout: 60_000 }, () => {
  const tmp = tempDir('baton-rate-limit-');
  const src = join(tmp.path, 'src');
  let drive: Drive;
  let snapshotId = '';

  before(async () => {
    // 16 files of 128 KiB: 2 MiB
    mkdirSync(src, { recursive: true });
    for (let i = 0; i < 16; i++) writeFileSync(join(src, `f${i}`), prng(`f${i}`, 128 * 1024));
    drive = await createDrive(join(tmp.path, 'drive'));
    snapshotId = (await backup({ drive, sources: src, app: 'db', cachePath: null, password: PASSWORD })).snapshotId;
  });
  after(() => tmp.cleanup());

  test('the limiter waits while it is ahead of the rate, and says what it paced when cancelled', async () => {
    const limiter = new RateLimiter(MiB, 'restore');
    const started = Date.now();
    await limiter.take(MiB / 2);
    const ms = Date.now() - started;
    assert.ok(ms >= 450 && ms < 1000, `${ms} ms for half a second's bytes`);
    // concurrent takers are each let go at their own time, not all at the last one's
    const t0 = Date.now();
    const done: number[] = [];
    await Promise.all([1, 2, 3].map(() => limiter.take(MiB / 4).then(() => done.push(Date.now() - t0))));
    assert.ok(done[0] >= 200 && done[0] < 400 && done[2] >= 700, `let go after ${done.join(', ')} ms`);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    await assert.rejects(
      limiter.take(10 * MiB, stop.signal),
      (e) => e instanceof AbortedError && /restore/.test(e.message),
    );
  });

  test('a restore at 2 MiB/s takes about a second for 2 MiB, byte for byte', async () => {
    const target = join(tmp.path, 'paced');
    const started = Date.now();
    const r = await restore({ drive, password: PASSWORD, snapshotId, target, rateLimit: 2 * MiB });
    const ms = Date.now() - started;
    assert.equal(r.bytes, 2 * MiB);
    assert.ok(ms >= 850, `restored 2 MiB in ${ms} ms at 2 MiB/s`);
    assert.deepEqual(compareTrees(src, target), []);
  });

  test('a paced restore stops within half a second when cancelled', async () => {
    const stop = new AbortController();
    const run = restore({
      drive,
      password: PASSWORD,
      snapshotId,
      target: join(tmp.path, 'cancelled'),
      rateLimit: 256 * 1024,
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 500));
    const at = Date.now();
    stop.abort();
    await assert.rejects(run, (e) => e instanceof AbortedError);
    assert.ok(Date.now() - at < 500, `stopped ${Date.now() - at} ms after the cancellation`);
  });

  test('a verify reading every byte at 2 MiB/s takes about a second for its 2 MiB of packs', async () => {
    const started = Date.now();
    const r = await verify({ drive, password: PASSWORD, readData: true, rateLimit: 2 * MiB });
    const ms = Date.now() - started;
    assert.equal(r.ok, true);
    assert.ok(r.bytesRead >= 2 * MiB, String(r.bytesRead));
    assert.ok(ms >= (r.bytesRead / (2 * MiB)) * 1000 - 150, `read ${r.bytesRead} bytes in ${ms} ms at 2 MiB/s`);
  });
});

/**
 * The restore and verify activities on a real drive, in MockActivityEnvironment: progress
 * heartbeats, cancellation within a second, target checks, and engine errors turned into
 * non-retryable failures that name what is wrong (the damaged pack and the file it holds).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createOperationActivities, type OperationActivityDeps } from '../../../src/activities/operation-activities';
import { backup } from '../../../src/engine';
import { registry } from '../../../src/metrics/node-metrics';
import { operationHeartbeatOf, type OperationHeartbeat } from '../../../src/model/heartbeat';
import type { OperationProgress, RestoreRequest, SnapshotSource } from '../../../src/model/operations';
import { compareTrees } from '../../helpers/tree';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const logger = pino({ level: 'silent' });

/** Runs `fn` in an activity context (MockActivityEnvironment's run does not infer the result type). */
const inActivity = <T>(fn: () => Promise<T>, env = new MockActivityEnvironment()): Promise<T> =>
  env.run<[], T, () => Promise<T>>(fn);

describe('restore and verify activities', { timeout: 120_000 }, () => {
  const tmp = tempDir('baton-restore-act-');
  const src = join(tmp.path, 'src');
  const drivePath = join(tmp.path, 'drive');
  let source: SnapshotSource;
  const deps = (over: Partial<OperationActivityDeps> = {}): OperationActivityDeps => ({
    cluster: 'c1',
    node: 'n1',
    logger,
    password: PASSWORD,
    ...over,
  });
  const request = (target: string, over: Partial<RestoreRequest> = {}): RestoreRequest => ({
    jobId: 'baton-restore-db-x',
    node: 'n1',
    app: 'db',
    source,
    target,
    subtree: null,
    ...over,
  });
  /** The failure an activity run rejected with. */
  const failure = async (run: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  };

  before(async () => {
    // 300 files of 64 KiB in 3 directories: enough for a restore to be cancelled mid-way.
    for (let i = 0; i < 300; i++) {
      const dir = join(src, `dir-${i % 3}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `file-${String(i).padStart(3, '0')}`), prng(`f${i}`, 64 * 1024));
    }
    const drive = await createDrive(drivePath);
    const r = await backup({ drive, sources: src, app: 'db', cachePath: null, password: PASSWORD });
    source = {
      snapshotId: r.snapshotId,
      app: 'db',
      jobId: 'baton-backup-db-x',
      drive: 'd1',
      drivePath,
      at: 't',
      files: r.stats.files,
      bytes: r.stats.bytes,
    };
  });
  after(() => tmp.cleanup());

  test('restoreSnapshot restores byte for byte and heartbeats its progress with a summary', async () => {
    const env = new MockActivityEnvironment();
    const beats: OperationHeartbeat[] = [];
    env.on('heartbeat', (d: OperationHeartbeat) => beats.push(d));
    const target = join(tmp.path, 'restored');
    const out = await inActivity(() => createOperationActivities(deps()).restoreSnapshot(request(target)), env);
    assert.equal(out.files, 300);
    assert.equal(out.node, 'n1');
    assert.equal(out.bytes, 300 * 64 * 1024);
    assert.deepEqual(compareTrees(src, target), []);
    const last = beats[beats.length - 1].progress;
    assert.equal(last.files, 300);
    assert.equal(last.totalBytes, source.bytes);
    assert.ok(beats.some((b) => b.progress.currentPath?.startsWith(target)));
    assert.ok(beats.every((b) => operationHeartbeatOf(b) !== null));
    assert.match(beats[beats.length - 1].summary, /^100%: 300 of 300 files, 18\.8 MiB of 18\.8 MiB at /);
  });

  test('a cancelled restore stops within a second, as cancelled', async () => {
    const env = new MockActivityEnvironment();
    let cancelledAt = 0;
    env.on('heartbeat', (d: { progress: OperationProgress }) => {
      if (cancelledAt === 0 && d.progress.files >= 5) {
        cancelledAt = Date.now();
        env.cancel();
      }
    });
    const target = join(tmp.path, 'cancelled');
    const err = await env
      .run(() => createOperationActivities(deps()).restoreSnapshot(request(target)))
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(err instanceof CancelledFailure, String(err));
    const ms = Date.now() - cancelledAt;
    assert.ok(ms < 1000, `stopped ${ms} ms after the cancellation`);
    const restored = readdirSync(target).flatMap((d) => readdirSync(join(target, d))).length;
    assert.ok(restored < 300, `all ${restored} files were restored`);
  });

  const targetCases: { name: string; target: (t: string) => string; error?: RegExp }[] = [
    { name: 'a new directory', target: (t) => join(t, 'new') },
    { name: 'an empty directory', target: (t) => join(t, 'empty') },
    { name: 'a relative path', target: () => 'relative/dir', error: /is not an absolute path/ },
    { name: 'a non-empty directory', target: (t) => join(t, 'full'), error: /is not empty \(1 entry\)/ },
    { name: 'a file', target: (t) => join(t, 'full', 'file'), error: /exists and is not a directory/ },
    {
      name: 'a missing parent',
      target: (t) => join(t, 'missing', 'x'),
      error: /cannot be created: its parent .*missing is not a directory on that node; create it first/,
    },
  ];
  for (const k of targetCases) {
    test(`checkRestoreTarget: ${k.name}`, async () => {
      const t = join(tmp.path, 'targets');
      mkdirSync(join(t, 'empty'), { recursive: true });
      mkdirSync(join(t, 'full'), { recursive: true });
      writeFileSync(join(t, 'full', 'file'), 'x');
      const run = inActivity(() =>
        createOperationActivities(deps()).checkRestoreTarget({
          node: 'n1',
          target: k.target(t),
        }),
      );
      if (!k.error) return void (await run);
      const f = await failure(run);
      assert.equal(f.type, 'BadTarget');
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, k.error);
    });
  }

  test('work for another node is refused', async () => {
    const f = await failure(
      inActivity(() => createOperationActivities(deps({ node: 'n2' })).restoreSnapshot(request(join(tmp.path, 'x')))),
    );
    assert.equal(f.type, 'WrongNode');
    assert.equal(f.nonRetryable, true);
  });

  test('a wrong password and an unknown directory fail for good, with the fix', async () => {
    const wrong = await failure(
      inActivity(() =>
        createOperationActivities(deps({ password: 'nope' })).restoreSnapshot(request(join(tmp.path, 'pw'))),
      ),
    );
    assert.equal(wrong.type, 'WrongPassword');
    assert.equal(wrong.nonRetryable, true);
    assert.match(wrong.message, /set repository\.passwordFile or BATON_PASSWORD/);
    const path = await failure(
      inActivity(() =>
        createOperationActivities(deps()).restoreSnapshot(request(join(tmp.path, 'sub'), { subtree: 'no-such-dir' })),
      ),
    );
    assert.equal(path.type, 'UnknownPath');
    assert.equal(path.nonRetryable, true);
  });

  test('verifyDrive passes a sound drive, then names the damaged pack; a restore names the pack and the file', async () => {
    const verify = (readData: boolean) =>
      inActivity(() =>
        createOperationActivities(deps()).verifyDrive({
          jobId: 'baton-verify-d1-x',
          node: 'n1',
          drive: { name: 'd1', node: 'n1', kind: 'directory' as const, path: drivePath },
          readData,
        }),
      );
    const clean = await verify(true);
    assert.equal(clean.ok, true);
    assert.equal(clean.errorCount, 0);
    assert.ok(clean.bytesRead > 0);

    const data = join(drivePath, 'data');
    const packs = readdirSync(data).flatMap((s) => readdirSync(join(data, s)).map((id) => join(data, s, id)));
    const pack = packs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    const packId = pack.split('/').pop() ?? '';
    const bytes = readFileSync(pack);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(pack, bytes);

    assert.equal((await verify(false)).ok, true, 'the structure is intact');
    const damaged = await verify(true);
    assert.equal(damaged.ok, false);
    assert.ok(damaged.errors.some((e) => e.pack === packId && e.kind === 'blob-data' && e.path?.startsWith('/dir-')));
    const counted = (await registry.getSingleMetric('baton_drive_verify_errors_total')?.get())?.values ?? [];
    assert.deepEqual(
      counted.map((v) => [v.labels, v.value]),
      [[{ cluster: 'c1', drive: 'd1' }, damaged.errorCount]],
      'the verify metric names its cluster and drive',
    );

    const f = await failure(
      inActivity(() => createOperationActivities(deps()).restoreSnapshot(request(join(tmp.path, 'bad')))),
    );
    assert.equal(f.type, 'Corruption');
    assert.equal(f.nonRetryable, true);
    assert.match(
      f.message,
      new RegExp(`pack ${packId}.*\\(restoring .*/bad/dir-\\d/file-\\d{3}\\) \\(drive d1, read by node n1\\)`),
    );
  });
});

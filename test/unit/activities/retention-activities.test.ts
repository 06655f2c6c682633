/**
 * The retention activity on a real drive and a real SQLite catalog, in MockActivityEnvironment:
 * it forgets what the policy does not keep (only the named app's snapshots, never the newest nor
 * one a running restore reads), prunes, and marks the catalog from what the drive holds after; a
 * lock on the drive makes it fail retryably having changed nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createRetentionActivities } from '../../../src/activities/retention-activities';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { operationStarted } from '../../../src/catalog/operations';
import { backup, listSnapshots, openDrive, type Drive } from '../../../src/engine';
import { Lock } from '../../../src/engine/lock';
import type { RetentionRequest } from '../../../src/model/operations';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const logger = pino({ level: 'silent' });
const inActivity = <T>(fn: () => Promise<T>): Promise<T> =>
  new MockActivityEnvironment().run<[], T, () => Promise<T>>(fn);

describe('retention activity', { timeout: 120_000 }, () => {
  const tmp = tempDir('baton-retention-act-');
  const drivePath = join(tmp.path, 'drive');
  const phantom = 'ee'.repeat(32);
  let drive: Drive;
  let db: Catalog;
  const ids: Record<string, string> = {};
  const request = (over: Partial<RetentionRequest> = {}): RetentionRequest => ({
    cluster: 'c',
    jobId: 'baton-retention-c-d1-x',
    node: 'n1',
    drive: { name: 'd1', node: 'n1', kind: 'directory', path: drivePath },
    apps: [{ app: 'db', keep: { last: 1 } }],
    ...over,
  });
  const live = async () =>
    (await db.selectFrom('snapshots').select('id').where('forgotten_at', 'is', null).execute()).map((r) => r.id).sort();

  before(async () => {
    drive = await createDrive(drivePath);
    db = await openCatalog(`sqlite:${join(tmp.path, 'catalog.db')}`);
    for (const [name, app, seed] of [
      ['db1', 'db', 'a'],
      ['db2', 'db', 'b'],
      ['web1', 'web', 'c'],
      ['db3', 'db', 'd'],
    ]) {
      const src = join(tmp.path, app);
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, 'data.bin'), prng(seed, 512 * 1024));
      const r = await backup({ drive, sources: src, app, cachePath: null, password: PASSWORD });
      ids[name] = r.snapshotId;
      await new Promise((res) => setTimeout(res, 5)); // distinct snapshot times
    }
    const row = (id: string, app: string) => ({
      id,
      job_id: `job-${id.slice(0, 4)}`,
      cluster: 'c',
      app,
      drive: 'd1',
      drive_path: drivePath,
      at: '2026-12-01T00:00:00.000Z',
      files: 1,
      bytes: 1,
      new_bytes: 1,
      incomplete: 0,
    });
    // phantom: a snapshot of db the catalog knows but the drive no longer holds (a forget whose
    // catalog write failed, or `baton repo forget` by hand).
    await db
      .insertInto('snapshots')
      .values([row(ids.db1, 'db'), row(ids.db2, 'db'), row(ids.db3, 'db'), row(ids.web1, 'web'), row(phantom, 'db')])
      .execute();
    // A restore of db1 runs: retention must keep it.
    await operationStarted(
      db,
      {
        cluster: 'c',
        jobId: 'r1',
        kind: 'restore',
        app: 'db',
        node: 'n1',
        drive: 'd1',
        requestedBy: 't',
        message: 'restore started',
        data: { snapshotId: ids.db1 },
      },
      '2026-12-01T00:00:00.000Z',
    );
  });
  after(async () => {
    await db.destroy();
    tmp.cleanup();
  });

  test('a lock on the drive makes it fail retryably (DriveLocked), having changed nothing', async () => {
    const lock = await Lock.acquireReader(drive, 'restore');
    try {
      const err = await inActivity(() =>
        createRetentionActivities({ node: 'n1', logger, catalog: db, password: PASSWORD }).applyRetention(request()),
      ).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'DriveLocked');
      assert.equal(err.nonRetryable, false);
      assert.match(err.message, /retention on drive d1 tries again/);
    } finally {
      await lock?.release();
    }
    assert.equal((await listSnapshots(drive)).length, 4);
    assert.equal((await live()).length, 5);
  });

  test('a drive outside the roots the node allows is refused (PathNotAllowed, final), having changed nothing', async () => {
    const allowed = { roots: [join(tmp.path, 'elsewhere')], setting: 'nodes[].allowedRoots of n1 in test.yaml' };
    const err = await inActivity(() =>
      createRetentionActivities({ node: 'n1', logger, catalog: db, password: PASSWORD, allowed }).applyRetention(
        request(),
      ),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'PathNotAllowed');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /drive d1's path .* is outside the roots node n1 allows/);
    assert.equal((await listSnapshots(drive)).length, 4);
    assert.equal((await live()).length, 5);
  });

  test('it forgets only what the policy drops, keeps the newest and the restored one, and marks the catalog', async () => {
    const acts = createRetentionActivities({ node: 'n1', logger, catalog: db, password: PASSWORD });
    const out = await inActivity(() => acts.applyRetention(request()));
    assert.deepEqual(out.forgotten, [ids.db2]);
    assert.deepEqual([...out.kept].sort(), [ids.db1, ids.db3].sort());
    assert.equal(out.catalogMarked, 2, 'db2 and the phantom');
    assert.ok(out.packsDeleted >= 1 && out.bytesFreed > 0, JSON.stringify(out)); // db2's own data
    const reopened = await openDrive(drivePath, { password: PASSWORD });
    assert.deepEqual((await listSnapshots(reopened)).map((s) => s.id).sort(), [ids.db1, ids.db3, ids.web1].sort());
    assert.deepEqual(await live(), [ids.db1, ids.db3, ids.web1].sort());
    const marked = await db.selectFrom('snapshots').selectAll().where('id', '=', phantom).executeTakeFirst();
    assert.equal(marked?.forgotten_by, 'baton-retention-c-d1-x');

    // Run again: nothing more to forget, nothing more to mark.
    const again = await inActivity(() => acts.applyRetention(request({ jobId: 'baton-retention-c-d1-y' })));
    assert.deepEqual([again.forgotten, again.catalogMarked], [[], 0]);
  });

  test('a request for another node is refused', async () => {
    const err = await inActivity(() =>
      createRetentionActivities({ node: 'n2', logger, catalog: db, password: PASSWORD }).applyRetention(request()),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'WrongNode');
  });
});

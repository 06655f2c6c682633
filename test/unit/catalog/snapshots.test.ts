import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotsOf } from '../../../src/catalog/jobs';
import { findSnapshot, operationStarted } from '../../../src/catalog/operations';
import { appSnapshots, liveSnapshotIds, markForgotten, snapshotsInRestore } from '../../../src/catalog/snapshots';
import { describeCatalog } from '../../helpers/catalog';

const snap = (id: string, at: string, drive = 'd1') => ({
  id,
  job_id: `job-${id.slice(0, 4)}`,
  cluster: 'c',
  app: 'files',
  drive,
  drive_path: `/san/${drive}`,
  at,
  files: 2,
  bytes: 20,
  new_bytes: 20,
  incomplete: 0,
});

const a = 'aa11'.padEnd(64, '0');
const b = 'bb22'.padEnd(64, '1');
const c = 'cc33'.padEnd(64, '2');

describeCatalog('catalog snapshots', (catalog) => {
  test('forgotten snapshots leave the listings, and a restore of one is refused naming the job and the kept ones', async () => {
    const db = catalog.db();
    await db
      .insertInto('snapshots')
      .values([
        snap(a, '2026-12-01T01:00:00.000Z'),
        snap(b, '2026-12-01T02:00:00.000Z', 'd2'),
        snap(c, '2026-12-01T03:00:00.000Z'),
      ])
      .execute();
    await db
      .insertInto('jobs')
      .values({
        id: 'job-cc33',
        cluster: 'c',
        app: 'files',
        kind: 'backup',
        node: 'node-1',
        drive: 'd1',
        state: 'succeeded',
        requested_by: 't',
        started_at: '2026-12-01T03:00:00.000Z',
        finished_at: null,
        files: null,
        bytes: null,
        location: null,
        error: null,
      })
      .execute();
    assert.deepEqual((await liveSnapshotIds(db, 'files', 'd1')).sort(), [a, c]);
    assert.equal(await markForgotten(db, [a], 'baton-retention-x', '2026-12-02T00:00:00.000Z'), 1);
    assert.equal(await markForgotten(db, [a], 'baton-retention-y', '2026-12-03T00:00:00.000Z'), 0, 'marked once');
    assert.equal(await markForgotten(db, [], 'baton-retention-y', '2026-12-03T00:00:00.000Z'), 0);
    const listed = await appSnapshots(db, 'files');
    assert.deepEqual(
      listed.map((s) => [s.id, s.drive, s.node]),
      [
        [c, 'd1', 'node-1'],
        [b, 'd2', null],
      ],
    );
    assert.deepEqual(
      (await snapshotsOf(db, 'files')).map((s) => s.id),
      [c, b],
    );
    assert.deepEqual(await liveSnapshotIds(db, 'files', 'd1'), [c]);
    const refused = await findSnapshot(db, 'files', 'aa11');
    assert.equal(refused.ok, false);
    assert.equal(
      !refused.ok && refused.problem,
      'snapshot aa1100000000 of app files was forgotten on 2026-12-02T00:00:00.000Z by baton-retention-x ' +
        "(the app's keep policy) and is no longer on drive d1; restore one it keeps: " +
        'cc3322222222 (2026-12-01T03:00:00.000Z), bb2211111111 (2026-12-01T02:00:00.000Z) (all: `baton snapshots files`)',
    );
    const latest = await findSnapshot(db, 'files', null);
    assert.equal(latest.ok && latest.snapshot.id, c);
  });

  test('snapshots that running restores read are protected', async () => {
    const db = catalog.db();
    const start = (jobId: string, snapshotId: string) =>
      operationStarted(
        db,
        {
          cluster: 'c',
          jobId,
          kind: 'restore',
          app: 'files',
          node: 'node-1',
          drive: 'd1',
          requestedBy: 't',
          message: 'restore started',
          data: { snapshotId, drive: 'd1', target: '/tmp/x', subtree: null },
        },
        '2026-12-01T00:00:00.000Z',
      );
    await start('r1', a);
    await start('r2', b);
    await db.updateTable('jobs').set({ state: 'succeeded' }).where('id', '=', 'r2').execute();
    assert.deepEqual([...(await snapshotsInRestore(db))], [a]);
  });
});

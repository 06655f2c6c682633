/**
 * Catalog v5 (2026_12_04_0006_sealed_checkpoints) on a catalog that holds clear checkpoints: the
 * rows of jobs that ended go, those of a running job stay and are refused, and down comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Migrator } from 'kysely';
import { checkpointData } from '../../../src/catalog/attempts';
import { jobFinished, jobStarted } from '../../../src/catalog/jobs';
import { migrate } from '../../../src/catalog/open';
import * as m0001 from '../../../src/catalog/migrations/2026_11_27_0001_initial';
import * as m0002 from '../../../src/catalog/migrations/2026_11_27_0002_attempts';
import * as m0003 from '../../../src/catalog/migrations/2026_11_27_0003_snapshots';
import * as m0004 from '../../../src/catalog/migrations/2026_12_04_0004_hosts';
import * as m0005 from '../../../src/catalog/migrations/2026_12_04_0005_forgotten_snapshots';
import * as m0006 from '../../../src/catalog/migrations/2026_12_04_0006_sealed_checkpoints';
import * as m0007 from '../../../src/catalog/migrations/2026_12_04_0007_lease_expiry';
import * as m0008 from '../../../src/catalog/migrations/2026_12_04_0008_restore_tests';
import * as m0009 from '../../../src/catalog/migrations/2026_12_04_0009_restore_test_since';
import * as m0010 from '../../../src/catalog/migrations/2026_12_07_0010_drive_waiters';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

const MIGRATIONS = {
  '2026_11_27_0001_initial': m0001,
  '2026_11_27_0002_attempts': m0002,
  '2026_11_27_0003_snapshots': m0003,
  '2026_12_04_0004_hosts': m0004,
  '2026_12_04_0005_forgotten_snapshots': m0005,
  '2026_12_04_0006_sealed_checkpoints': m0006,
  '2026_12_04_0007_lease_expiry': m0007,
  '2026_12_04_0008_restore_tests': m0008,
  '2026_12_04_0009_restore_test_since': m0009,
  '2026_12_07_0010_drive_waiters': m0010,
};

describeCatalog('catalog v5: sealed checkpoints', (catalog) => {
  test('clear rows of ended jobs are deleted, those of a running job kept and refused', async () => {
    const db = catalog.db();
    const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(MIGRATIONS) } });
    const down = await migrator.migrateTo('2026_12_04_0005_forgotten_snapshots');
    assert.equal(down.error, undefined);
    assert.deepEqual(
      down.results?.map((r) => [r.migrationName, r.status]),
      [
        ['2026_12_07_0010_drive_waiters', 'Success'],
        ['2026_12_04_0009_restore_test_since', 'Success'],
        ['2026_12_04_0008_restore_tests', 'Success'],
        ['2026_12_04_0007_lease_expiry', 'Success'],
        ['2026_12_04_0006_sealed_checkpoints', 'Success'],
      ],
    );
    const running = testBackupJob(testPlan(), { jobId: 'baton-backup-running' });
    const ended = testBackupJob(testPlan(), { jobId: 'baton-backup-ended' });
    for (const job of [running, ended]) {
      await jobStarted(db, job, 't0');
      await db
        .insertInto('checkpoints')
        .values({ job_id: job.jobId, epoch: 1, seq: 1, at: 't1', node: 'n1', files: 1, bytes: 1, data_json: '{"x":1}' })
        .execute();
    }
    await jobFinished(
      db,
      { jobId: ended.jobId, cluster: 'c', app: 'db', node: 'n1', drive: 'd1', state: 'failed', error: 'x' },
      't2',
    );
    // jobFinished of this version deletes the ended job's rows itself: put one back, as an older Baton left it
    await db
      .insertInto('checkpoints')
      .values({ job_id: ended.jobId, epoch: 1, seq: 1, at: 't1', node: 'n1', files: 1, bytes: 1, data_json: '{}' })
      .execute();

    await migrate(db);
    const left = await db.selectFrom('checkpoints').select(['job_id', 'seq']).execute();
    assert.deepEqual(left, [{ job_id: running.jobId, seq: 1 }]);
    await assert.rejects(checkpointData(db, running.jobId, 1), /stored unsealed by an older Baton and is not trusted/);
  });
});

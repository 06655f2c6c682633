import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addEvent,
  addEvents,
  clusterEvents,
  getJob,
  jobEvents,
  jobFinished,
  jobStarted,
  recentJobs,
  snapshotsOf,
} from '../../../src/catalog/jobs';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob } from '../../helpers/fixtures';

const job = testBackupJob();

describeCatalog('catalog jobs and events', (catalog) => {
  test('a job is recorded once, finished with its outcome, with a timeline', async () => {
    const db = catalog.db();
    await jobStarted(db, job, '2026-11-27T00:00:00.000Z');
    await jobStarted(db, job, '2026-11-27T00:00:01.000Z'); // a retried activity
    await jobFinished(
      db,
      {
        jobId: job.jobId,
        cluster: 'c',
        app: 'db',
        node: 'n1',
        drive: 'd1',
        state: 'succeeded',
        outcome: {
          files: 3,
          bytes: 3_000_000_000,
          newBytes: 1_000,
          durationMs: 1200,
          snapshotId: 'abc123',
          drive: '/san/d1',
          incomplete: false,
        },
      },
      '2026-11-27T00:00:05.000Z',
    );
    const row = await getJob(db, job.jobId);
    assert.equal(row?.state, 'succeeded');
    assert.equal(Number(row?.bytes), 3_000_000_000);
    assert.equal(row?.finished_at, '2026-11-27T00:00:05.000Z');
    const events = await jobEvents(db, job.jobId);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['job-started', 'job-succeeded'],
    );
    assert.match(events[1].message, /3 files, 3000000000 bytes in 1200 ms/);
    assert.equal((await recentJobs(db, 5)).length, 1);
    const snapshots = await snapshotsOf(db, 'db');
    assert.deepEqual(
      snapshots.map((x) => [x.id, x.job_id, x.drive, x.drive_path, Number(x.files), x.incomplete]),
      [['abc123', job.jobId, 'd1', '/san/d1', 3, 0]],
    );
  });

  test('cluster events have no job and come newest first', async () => {
    const db = catalog.db();
    await addEvent(
      db,
      { cluster: 'c', jobId: null, kind: 'app-moved', node: 'n2', message: 'm1', data: { a: 1 } },
      't',
    );
    await addEvent(db, { cluster: 'c', jobId: null, kind: 'coordinator-failover', node: 'n2', message: 'm2' }, 't');
    const events = await clusterEvents(db, 'c');
    assert.deepEqual(
      events.map((e) => e.kind),
      ['coordinator-failover', 'app-moved'],
    );
    assert.deepEqual(JSON.parse(events[1].data_json ?? 'null'), { a: 1 });
  });

  test('1,201 events recorded together are all there, in their order (three INSERTs)', async () => {
    const db = catalog.db();
    const many = Array.from({ length: 1201 }, (_, i) => ({
      cluster: 'c',
      jobId: 'j-many',
      kind: 'coordinator-reconciled' as const,
      node: 'n3',
      message: `m${i}`,
      data: { i },
    }));
    await addEvents(db, [], 't');
    await addEvents(db, many, 't');
    const events = await jobEvents(db, 'j-many');
    assert.equal(events.length, 1201);
    assert.deepEqual(
      events.map((e) => e.message),
      many.map((e) => e.message),
    );
    assert.deepEqual(JSON.parse(events[1200].data_json ?? 'null'), { i: 1200 });
  });
});

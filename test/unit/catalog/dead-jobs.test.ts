import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beginAttempt } from '../../../src/catalog/attempts';
import { closeDeadJob, endOf, liveJobIds } from '../../../src/catalog/dead-jobs';
import { getJob, jobEvents, jobFinished, jobStarted } from '../../../src/catalog/jobs';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

const job = testBackupJob(testPlan());

test('a terminated or timed-out job fails, a cancelled one is cancelled, each saying why', () => {
  assert.deepEqual(endOf('CANCELLED').state, 'cancelled');
  assert.match(endOf('TERMINATED').error, /^its workflow was terminated without recording its end/);
  assert.match(endOf('TIMED_OUT').error, /^its workflow timed out/);
  assert.match(endOf('NOT_FOUND').error, /is not known to Temporal/);
  assert.equal(endOf('FAILED').state, 'failed');
});

describeCatalog('catalog dead jobs', (catalog) => {
  test('a running job with a lease is live until closed; closing ends it, its attempt and its lease', async () => {
    const db = catalog.db();
    await jobStarted(db, job, 't0');
    await beginAttempt(db, { cluster: job.cluster, jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
    assert.deepEqual(await liveJobIds(db, job.cluster), [job.jobId]);
    assert.deepEqual(await liveJobIds(db, 'other-cluster'), []);

    const closed = await closeDeadJob(
      db,
      { cluster: job.cluster, jobId: job.jobId, status: 'TERMINATED', node: 'n2' },
      't2',
    );
    assert.equal(closed.state, 'failed');
    const row = await getJob(db, job.jobId);
    assert.equal(row?.state, 'failed');
    assert.equal(row?.finished_at, 't2');
    assert.equal(row?.error, closed.error);
    const attempt = await db
      .selectFrom('attempts')
      .selectAll()
      .where('job_id', '=', job.jobId)
      .executeTakeFirstOrThrow();
    assert.equal(attempt.ended_at, 't2');
    assert.equal(attempt.outcome, 'failed');
    assert.deepEqual(await db.selectFrom('drive_leases').selectAll().execute(), []);
    const closedEvents = (await jobEvents(db, job.jobId)).filter((e) => e.kind === 'job-closed');
    assert.equal(closedEvents.length, 1);
    assert.equal(closedEvents[0].node, 'n2');
    assert.deepEqual(await liveJobIds(db, job.cluster), []);

    // A second reconcile (or one racing the job's own end) changes nothing and says how it ended.
    const again = await closeDeadJob(
      db,
      { cluster: job.cluster, jobId: job.jobId, status: 'TERMINATED', node: 'n2' },
      't3',
    );
    assert.deepEqual(again, closed);
    assert.equal((await jobEvents(db, job.jobId)).filter((e) => e.kind === 'job-closed').length, 1);
  });

  test('a job that recorded its own end keeps it; only a lease left behind is released', async () => {
    const db = catalog.db();
    await jobStarted(db, job, 't0');
    await beginAttempt(db, { cluster: job.cluster, jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
    await jobFinished(
      db,
      {
        jobId: job.jobId,
        cluster: job.cluster,
        app: job.app.name,
        node: 'n1',
        drive: 'd1',
        state: 'failed',
        error: 'boom',
      },
      't2',
    );
    assert.deepEqual(await liveJobIds(db, job.cluster), [job.jobId], 'the lease still names it');
    const closed = await closeDeadJob(
      db,
      { cluster: job.cluster, jobId: job.jobId, status: 'FAILED', node: null },
      't3',
    );
    assert.deepEqual(closed, { jobId: job.jobId, state: 'failed', error: 'boom' });
    assert.deepEqual(await liveJobIds(db, job.cluster), []);
    assert.equal((await jobEvents(db, job.jobId)).filter((e) => e.kind === 'job-closed').length, 0);
  });
});

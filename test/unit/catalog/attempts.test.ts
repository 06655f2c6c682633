import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobFinished, jobStarted } from '../../../src/catalog/jobs';
import {
  attemptsOf,
  beginAttempt,
  checkEpoch,
  endAttempt,
  latestCheckpoint,
  saveCheckpoint,
  StaleEpochError,
} from '../../../src/catalog/attempts';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

const job = testBackupJob(testPlan({ d2Kind: 'tape' }));

describeCatalog('catalog attempts', (catalog) => {
  test('each attempt gets the next epoch; older epochs are fenced off', async () => {
    const db = catalog.db();
    await jobStarted(db, job, 't0'); // attempts belong to a recorded job
    const e1 = await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
    assert.equal(
      await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1'),
      e1,
    );
    await checkEpoch(db, job.jobId, e1);
    assert.equal(
      await saveCheckpoint(
        db,
        { jobId: job.jobId, epoch: e1, node: 'n1', files: 5, bytes: 500, data: { cursor: 5 } },
        't2',
      ),
      true,
    );
    await endAttempt(
      db,
      { cluster: 'c', jobId: job.jobId, number: 1, outcome: 'moved', detail: 'app moved to n2' },
      't3',
    );
    const e2 = await beginAttempt(
      db,
      {
        cluster: 'c',
        jobId: job.jobId,
        number: 2,
        node: 'n2',
        drive: 'd2',
        restart: { kind: 'checkpoint', reason: 'app moved from n1 to n2' },
      },
      't4',
    );
    assert.equal(e2, e1 + 1);
    await assert.rejects(checkEpoch(db, job.jobId, e1), StaleEpochError);
    await assert.rejects(
      saveCheckpoint(db, { jobId: job.jobId, epoch: e1, node: 'n1', files: 9, bytes: 900, data: {} }, 't5'),
      /epoch 1 of job .* is fenced off: the job's current epoch is 2/,
    );
    assert.equal(
      await saveCheckpoint(db, { jobId: job.jobId, epoch: e2, node: 'n2', files: 4, bytes: 400, data: {} }, 't6'),
      false,
      'a checkpoint never moves backwards',
    );
    assert.equal(Number((await latestCheckpoint(db, job.jobId))?.files), 5);
    const attempts = await attemptsOf(db, job.jobId);
    assert.deepEqual(
      attempts.map((a) => [a.number, a.node, a.drive, a.epoch, a.outcome, a.restart_kind, a.restart_reason]),
      [
        [1, 'n1', 'd1', e1, 'moved', null, null],
        [2, 'n2', 'd2', e2, null, 'checkpoint', 'app moved from n1 to n2'],
      ],
    );
  });

  test('a drive leased to a running job is busy for another job', async () => {
    const db = catalog.db();
    const holder = { ...job, jobId: 'baton-backup-db-holder' };
    const other = { ...job, jobId: 'baton-backup-db-other' };
    await jobStarted(db, holder, 't');
    await jobStarted(db, other, 't');
    assert.equal(
      await beginAttempt(db, { cluster: 'c', jobId: holder.jobId, number: 1, node: 'n2', drive: 'd2' }, 't'),
      1,
    );
    await assert.rejects(
      beginAttempt(db, { cluster: 'c', jobId: other.jobId, number: 1, node: 'n2', drive: 'd2' }, 't'),
      /drive d2 is leased to job baton-backup-db-holder; this attempt waits until that job releases it/,
    );
    await jobFinished(
      db,
      { jobId: holder.jobId, cluster: 'c', node: 'n2', state: 'failed', error: 'x', app: 'db', drive: 'd2' },
      't',
    );
    assert.equal(
      await beginAttempt(db, { cluster: 'c', jobId: other.jobId, number: 1, node: 'n2', drive: 'd2' }, 't'),
      1,
    );
  });
});

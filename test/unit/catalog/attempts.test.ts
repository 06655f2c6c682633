import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobFinished, jobStarted } from '../../../src/catalog/jobs';
import { closeDeadJob } from '../../../src/catalog/dead-jobs';
import {
  attemptsOf,
  beginAttempt,
  checkEpoch,
  checkpointData,
  endAttempt,
  fenceEpoch,
  latestCheckpoint,
  saveCheckpoint,
  StaleEpochError,
} from '../../../src/catalog/attempts';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

const job = testBackupJob(testPlan({ d2Kind: 'tape' }));
/** What the engine would store: the sequence number shows it is the catalog's. */
const stored = (seq: number) => ({
  driveId: 'id-d1',
  drivePath: '/drives/d1',
  seal: 'aes-256-gcm',
  sealed: `box-${seq}`,
});

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
      await saveCheckpoint(db, { jobId: job.jobId, epoch: e1, node: 'n1', files: 5, bytes: 500, seal: stored }, 't2'),
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
      saveCheckpoint(db, { jobId: job.jobId, epoch: e1, node: 'n1', files: 9, bytes: 900, seal: stored }, 't5'),
      /epoch 1 of job .* is fenced off: the job's current epoch is 2/,
    );
    assert.equal(
      await saveCheckpoint(db, { jobId: job.jobId, epoch: e2, node: 'n2', files: 4, bytes: 400, seal: stored }, 't6'),
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

  test('fenceEpoch moves the job one epoch past its attempt, once; an epoch already moved on stays', async () => {
    const db = catalog.db();
    await jobStarted(db, job, 't0');
    const e1 = await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
    assert.equal(await fenceEpoch(db, job.jobId, e1), true);
    await assert.rejects(checkEpoch(db, job.jobId, e1), StaleEpochError);
    await checkEpoch(db, job.jobId, e1 + 1);
    assert.equal(await fenceEpoch(db, job.jobId, e1), false, 'fenced already: not moved again');
    await checkEpoch(db, job.jobId, e1 + 1);
    // the next attempt takes the fence's epoch; fencing the old one again leaves the new one alone
    const e2 = await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 2, node: 'n2', drive: 'd1' }, 't2');
    assert.equal(e2, e1 + 1);
    assert.equal(await fenceEpoch(db, job.jobId, e1), false);
    await checkEpoch(db, job.jobId, e2);
    assert.equal(await fenceEpoch(db, 'no-such-job', 1), false);
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

  test('a checkpoint is stored as sealed, under the number the catalog gives it; clear rows are refused', async () => {
    const db = catalog.db();
    const j = { ...job, jobId: 'baton-backup-db-sealed' };
    await jobStarted(db, j, 't0');
    const epoch = await beginAttempt(db, { cluster: 'c', jobId: j.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
    for (const files of [1, 2])
      await saveCheckpoint(db, { jobId: j.jobId, epoch, node: 'n1', files, bytes: files, seal: stored }, 't2');
    assert.deepEqual(await checkpointData(db, j.jobId, 2), stored(2));
    const row = await db
      .selectFrom('checkpoints')
      .selectAll()
      .where('job_id', '=', j.jobId)
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow();
    assert.equal(row.data_json, '', 'nothing in clear');
    await db
      .updateTable('checkpoints')
      .set({ seal: null, sealed: null, data_json: '{}' })
      .where('job_id', '=', j.jobId)
      .execute();
    await assert.rejects(
      checkpointData(db, j.jobId, 1),
      /^Error: checkpoint 1 of job .* was stored unsealed by an older Baton and is not trusted; restart the job fresh$/,
    );
  });

  const ends: { name: string; end: (db: ReturnType<typeof catalog.db>, jobId: string) => Promise<unknown> }[] = [
    {
      name: 'succeeded',
      end: (db, jobId) =>
        jobFinished(db, { jobId, cluster: 'c', app: 'db', node: 'n1', drive: 'd1', state: 'succeeded' }, 't9'),
    },
    {
      name: 'failed',
      end: (db, jobId) =>
        jobFinished(db, { jobId, cluster: 'c', app: 'db', node: 'n1', drive: 'd1', state: 'failed', error: 'x' }, 't9'),
    },
    {
      name: 'cancelled',
      end: (db, jobId) =>
        jobFinished(
          db,
          {
            jobId,
            cluster: 'c',
            app: 'db',
            node: 'n1',
            drive: 'd1',
            state: 'cancelled',
            error: 'cancelled by request',
          },
          't9',
        ),
    },
    {
      name: 'closed dead by the reconcile',
      end: (db, jobId) => closeDeadJob(db, { jobId, cluster: 'c', node: 'n1', status: 'TERMINATED' }, 't9'),
    },
  ];
  for (const e of ends) {
    test(`a job's checkpoints are deleted when it ends: ${e.name}; a late one is not kept`, async () => {
      const db = catalog.db();
      const j = { ...job, jobId: `baton-backup-db-end-${e.name.split(' ')[0]}` };
      const other = { ...job, jobId: `baton-backup-db-other-${e.name.split(' ')[0]}` };
      for (const [x, drive] of [
        [j, 'd1'],
        [other, 'd2'],
      ] as const) {
        await jobStarted(db, x, 't0');
        const epoch = await beginAttempt(db, { cluster: 'c', jobId: x.jobId, number: 1, node: 'n1', drive }, 't1');
        await saveCheckpoint(db, { jobId: x.jobId, epoch, node: 'n1', files: 1, bytes: 1, seal: stored }, 't2');
      }
      await e.end(db, j.jobId);
      assert.equal(await latestCheckpoint(db, j.jobId), undefined);
      assert.ok(await latestCheckpoint(db, other.jobId), "another job's checkpoints stay");
      const epoch = Number((await attemptsOf(db, j.jobId))[0].epoch);
      assert.equal(
        await saveCheckpoint(db, { jobId: j.jobId, epoch, node: 'n1', files: 2, bytes: 2, seal: stored }, 't10'),
        false,
      );
      assert.equal(await latestCheckpoint(db, j.jobId), undefined);
    });
  }
});

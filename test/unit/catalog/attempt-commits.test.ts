/**
 * Fence then check (attempt-commits.ts): a commit recorded before the job settles its moved
 * attempt is found, and one that comes after is refused, whichever order; no window in between.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beginAttempt, checkEpoch, StaleEpochError } from '../../../src/catalog/attempts';
import { recordCommit, settleMovedAttempt } from '../../../src/catalog/attempt-commits';
import { jobEvents, jobStarted } from '../../../src/catalog/jobs';
import type { BackupOutcome } from '../../../src/model/backup';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob } from '../../helpers/fixtures';

const job = testBackupJob();
const outcome: BackupOutcome = {
  files: 3,
  bytes: 300,
  newBytes: 300,
  durationMs: 1000,
  snapshotId: 'b'.repeat(64),
  drive: '/drives/d1',
  incomplete: false,
};
const commit = (epoch: number) => ({ cluster: 'c', jobId: job.jobId, number: 1, epoch, node: 'n1', outcome });
const settle = (epoch: number) => ({ cluster: 'c', jobId: job.jobId, number: 1, epoch });

describeCatalog('catalog attempt commits', (catalog) => {
  const start = async () => {
    const db = catalog.db();
    await jobStarted(db, job, 't0');
    return beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 1, node: 'n1', drive: 'd1' }, 't1');
  };

  test('committed first: the settle finds the commit and fences nothing', async () => {
    const db = catalog.db();
    const epoch = await start();
    await recordCommit(db, commit(epoch), 't2');
    assert.deepEqual(await settleMovedAttempt(db, settle(epoch), 't3'), outcome);
    await checkEpoch(db, job.jobId, epoch); // still the job's epoch
    const kinds = (await jobEvents(db, job.jobId)).map((e) => e.kind);
    assert.ok(kinds.includes('attempt-committed'));
    assert.ok(!kinds.includes('attempt-fenced'));
  });

  test('settled first: the attempt is fenced off, its late commit refused, the next attempt takes the next epoch', async () => {
    const db = catalog.db();
    const epoch = await start();
    assert.equal(await settleMovedAttempt(db, settle(epoch), 't2'), null);
    await assert.rejects(recordCommit(db, commit(epoch), 't3'), StaleEpochError);
    assert.equal(await settleMovedAttempt(db, settle(epoch), 't4'), null, 'asked again: still nothing');
    const kinds = (await jobEvents(db, job.jobId)).map((e) => e.kind);
    assert.ok(!kinds.includes('attempt-committed'));
    assert.equal(kinds.filter((k) => k === 'attempt-fenced').length, 1);
    // the fence used epoch + 1; the next attempt gets it, not one more
    const next = await beginAttempt(db, { cluster: 'c', jobId: job.jobId, number: 2, node: 'n2', drive: 'd2' }, 't5');
    assert.equal(next, epoch + 1);
    await checkEpoch(db, job.jobId, next);
  });

  test('a commit under another epoch is not this attempt’s', async () => {
    const db = catalog.db();
    const epoch = await start();
    await assert.rejects(recordCommit(db, commit(epoch + 5), 't2'), StaleEpochError);
    assert.equal(await settleMovedAttempt(db, settle(epoch), 't3'), null);
  });
});

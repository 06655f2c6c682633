import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobEvents, jobStarted } from '../../../src/catalog/jobs';
import {
  beginAttempt,
  checkEpoch,
  DriveBusyError,
  renewLease,
  saveCheckpoint,
  StaleEpochError,
} from '../../../src/catalog/attempts';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

const plan = testPlan();
const holder = testBackupJob(plan);
const other = testBackupJob(plan, { jobId: 'baton-backup-files-20261127T000001.000Z' });
const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 12, 0, s)).toISOString();
const start = (jobId: string, leaseMs?: number) => ({
  cluster: 'c',
  jobId,
  number: 1,
  node: 'n1',
  drive: 'd1',
  leaseMs,
});
const seal = (seq: number) => ({
  driveId: 'id-d1',
  drivePath: '/drives/d1',
  seal: 'aes-256-gcm',
  sealed: `box-${seq}`,
});

describeCatalog('catalog drive lease expiry', (catalog) => {
  test('a lease not yet expired keeps the drive busy; one without expiry never lapses', async () => {
    const db = catalog.db();
    await jobStarted(db, holder, at(0));
    await jobStarted(db, other, at(0));
    await beginAttempt(db, start(holder.jobId, 30_000), at(0));
    await assert.rejects(beginAttempt(db, start(other.jobId), at(29)), DriveBusyError);
    const kept = testBackupJob(plan, { jobId: 'baton-backup-db-20261127T000002.000Z' });
    await jobStarted(db, kept, at(0));
    await beginAttempt(db, { ...start(kept.jobId), drive: 'd2' }, at(0));
    await assert.rejects(beginAttempt(db, { ...start(other.jobId), drive: 'd2' }, at(59)), DriveBusyError);
  });

  test('renewals push the expiry on; a lapsed lease is taken over and its holder fenced', async () => {
    const db = catalog.db();
    await jobStarted(db, holder, at(0));
    await jobStarted(db, other, at(0));
    const old = await beginAttempt(db, start(holder.jobId, 10_000), at(0));
    assert.equal(await renewLease(db, { jobId: holder.jobId, epoch: old, leaseMs: 10_000 }, at(8)), true);
    await saveCheckpoint(
      db,
      { jobId: holder.jobId, epoch: old, node: 'n1', files: 1, bytes: 10, leaseMs: 10_000, seal },
      at(15),
    );
    await assert.rejects(beginAttempt(db, start(other.jobId), at(24)), DriveBusyError); // renewed to 25
    const taker = await beginAttempt(db, start(other.jobId), at(26));
    await checkEpoch(db, other.jobId, taker);
    // the holder, alive after all, is refused at its next checkpoint and its lease is gone
    await assert.rejects(
      saveCheckpoint(db, { jobId: holder.jobId, epoch: old, node: 'n1', files: 2, bytes: 20, seal }, at(27)),
      StaleEpochError,
    );
    assert.equal(await renewLease(db, { jobId: holder.jobId, epoch: old, leaseMs: 10_000 }, at(27)), false);
    const said = (await jobEvents(db, holder.jobId)).find((e) => e.kind === 'lease-expired');
    assert.ok(said, 'an event says whose lease expired');
    assert.match(said.message, new RegExp(`drive d1 held by job ${holder.jobId} .* expired at ${at(25)}`));
    assert.match(said.message, new RegExp(`job ${other.jobId} took the drive over`));
  });
});

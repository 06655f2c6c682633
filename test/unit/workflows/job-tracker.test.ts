import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobTracker } from '../../../src/workflows/job-tracker';
import { type BackupJobInput, type BackupProgress } from '../../../src/model/backup';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

// App db with data in /d, on n1 and d1 (of drives d1 and d2).
const input: BackupJobInput = testBackupJob(testPlan({ app: { paths: ['/d'], maxCheckpointAgeSeconds: 60 } }), {
  jobId: 'baton-backup-db-1',
});

const p = (epoch: number, files: number, bytes = files * 100): BackupProgress => ({
  files,
  bytes,
  totalFiles: 10,
  totalBytes: 1000,
  lastPath: `/d/${files}`,
  checkpointAt: 'T1',
  epoch,
  rateBytesPerSecond: 100,
  etaSeconds: null,
});

test('progress only moves forward, and only the current attempt reports', () => {
  const t = new JobTracker(input);
  t.attemptStarted(1, 7, 'n1', 'd1', null);
  t.progress(p(7, 5));
  t.progress(p(7, 3));
  assert.equal(t.get().progress?.files, 5);
  t.progress(p(6, 9));
  assert.equal(t.get().progress?.files, 5, 'a fenced attempt’s report is dropped');
  t.attemptStarted(2, 8, 'n2', 'd2', { kind: 'checkpoint', reason: 'moved' });
  t.progress(p(8, 4));
  assert.equal(t.get().progress?.files, 4, 'a new attempt may report less than the old one did');
});

test('an app move is pending only when it is away from the current attempt’s node', () => {
  const t = new JobTracker(input);
  t.attemptStarted(1, 1, 'n1', 'd1', null);
  t.appMoved('n1');
  assert.equal(t.pendingMove, null);
  t.appMoved('n2');
  assert.equal(t.pendingMove, 'n2');
  t.appMoved(null);
  assert.equal(t.pendingMove, null, 'running nowhere is not a destination');
  t.appMoved('n2');
  t.attemptStarted(2, 2, 'n2', 'd2', { kind: 'checkpoint', reason: 'moved' });
  assert.equal(t.pendingMove, null, 'starting on the new node settles the move');
});

test('every appMoved signal counts as news, wherever it says the app runs', () => {
  const t = new JobTracker(input);
  t.attemptStarted(1, 1, 'n1', 'd1', null);
  assert.equal(t.movesHeard, 0);
  t.appMoved(null);
  t.appMoved('n1');
  assert.equal(t.pendingMove, null);
  assert.equal(t.movesHeard, 2, 'a move to nowhere or back home still wakes a wait for placement');
  t.appMoved('n2');
  assert.equal(t.movesHeard, 3);
});

test('attempts keep their outcome and restart reason', () => {
  const t = new JobTracker(input);
  t.attemptStarted(1, 1, 'n1', 'd1', null);
  t.attemptEnded('timed-out', 'stopped heartbeating');
  t.attemptStarted(2, 2, 'n2', 'd2', { kind: 'checkpoint', reason: 'attempt 1 on n1 stopped heartbeating; resuming' });
  t.succeeded({
    files: 3,
    bytes: 300,
    newBytes: 100,
    durationMs: 5,
    snapshotId: 'abcdef0123456789',
    drive: '/san/d2',
    incomplete: false,
  });
  const v = t.get();
  assert.equal(v.state, 'succeeded');
  assert.deepEqual(
    v.attempts.map((a) => [a.number, a.node, a.outcome, a.restart?.kind ?? null]),
    [
      [1, 'n1', 'timed-out', null],
      [2, 'n2', 'succeeded', 'checkpoint'],
    ],
  );
});

test('details name the app, node, drive, attempt, earlier attempts and the restart, and where live progress is', () => {
  const t = new JobTracker(input);
  t.attemptStarted(1, 1, 'n1', 'd1', null);
  t.attemptEnded('moved', 'app moved to n2');
  t.attemptStarted(2, 2, 'n2', 'd2', { kind: 'checkpoint', reason: 'app moved from n1 to n2; resuming' });
  assert.equal(
    t.details(),
    [
      '**running** backup of `db` on `n2` to drive `d2`, attempt 2',
      'live progress: the `summary` in the heartbeat details of the pending `backupAttempt` activity (Pending Activities)',
      'attempt 1 on n1: moved (app moved to n2)',
      'checkpoint restart: app moved from n1 to n2; resuming',
    ].join('\n\n'),
  );
});

test('a job whose attempts signalled progress (an older history) shows it in its details', () => {
  const t = new JobTracker(input);
  t.attemptStarted(1, 1, 'n1', 'd1', null);
  t.attemptEnded('moved', 'app moved to n2');
  t.attemptStarted(2, 2, 'n2', 'd2', { kind: 'checkpoint', reason: 'app moved from n1 to n2; resuming' });
  t.progress({
    files: 1,
    bytes: 2048,
    totalFiles: 4,
    totalBytes: 8192,
    lastPath: '/d/a',
    checkpointAt: 'T1',
    epoch: 2,
    rateBytesPerSecond: 1024,
    etaSeconds: 6,
  });
  const d = t.details();
  assert.match(d, /\*\*running\*\* backup of `db` on `n2` to drive `d2`, attempt 2/);
  assert.match(d, /progress: 1 files, 2\.0 KiB of about 4 files, 8\.0 KiB \(25%\) at 1\.0 KiB\/s, about 6 s left/);
  assert.doesNotMatch(d, /live progress/);
  assert.match(d, /attempt 1 on n1: moved \(app moved to n2\)/);
  assert.match(d, /checkpoint restart: app moved from n1 to n2; resuming/);
  t.failed('drive full');
  assert.match(t.details(), /error: drive full/);
  assert.equal(t.get().state, 'failed');
});

test('a cancelled job ends its running attempt as cancelled; nothing runs after', () => {
  const job = new JobTracker(input);
  assert.equal(job.runningAttempt, null);
  job.attemptStarted(1, 1, 'n1', 'd1', null);
  assert.equal(job.runningAttempt, 1);
  job.cancelled('cancelled by request');
  const view = job.get();
  assert.equal(view.state, 'cancelled');
  assert.equal(view.error, 'cancelled by request');
  assert.equal(view.attempts[0].outcome, 'cancelled');
  assert.equal(job.runningAttempt, null);
  assert.match(job.details(), /^\*\*cancelled\*\* backup of `db`/);
});

test('a job cancelled between attempts keeps the ended attempt’s outcome', () => {
  const job = new JobTracker(input);
  job.attemptStarted(1, 1, 'n1', 'd1', null);
  job.attemptEnded('timed-out', 'stopped heartbeating');
  assert.equal(job.runningAttempt, null);
  job.cancelled('cancelled by request');
  assert.equal(job.get().attempts[0].outcome, 'timed-out');
  assert.equal(job.get().state, 'cancelled');
});

test('a job waiting in line for its drive says whom it waits for until its attempt starts, and counts its wake-ups', () => {
  const t = new JobTracker(input);
  assert.equal(t.drivesFreed, 0);
  t.waitingForDrive('d1', 'baton-backup-files-2');
  assert.match(t.details(), /waiting for drive `d1`: job `baton-backup-files-2` holds it or is first in its line/);
  t.driveFreed();
  assert.equal(t.drivesFreed, 1);
  t.attemptStarted(1, 1, 'n1', 'd1', null);
  assert.doesNotMatch(t.details(), /waiting for drive/);
  const cancelled = new JobTracker(input);
  cancelled.waitingForDrive('d1', 'baton-backup-files-2');
  cancelled.cancelled('cancelled by request');
  assert.doesNotMatch(cancelled.details(), /waiting for drive/, 'a cancelled job waits for nothing');
});

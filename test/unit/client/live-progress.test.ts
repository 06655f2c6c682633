/** Picking a job's live progress out of its pending activities (the describe() call is the integration test's). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backupHeartbeat,
  operationHeartbeat,
  withBackupProgress,
  withOperationProgress,
  type PendingActivity,
} from '../../../src/client/live-progress';
import type { BackupProgress, JobView } from '../../../src/model/backup';
import type { BackupHeartbeat } from '../../../src/model/heartbeat';
import type { OperationView } from '../../../src/model/operations';

const progress = (epoch: number, bytes: number): BackupProgress => ({
  files: 1,
  bytes,
  totalFiles: 0,
  totalBytes: 0,
  rateBytesPerSecond: 1,
  etaSeconds: null,
  lastPath: null,
  checkpointAt: null,
  epoch,
});
const beat = (epoch: number, bytes: number): BackupHeartbeat => ({
  summary: `epoch ${epoch}`,
  progress: progress(epoch, bytes),
  checkpoint: null,
});
const pending = (details: unknown, activityType = 'backupAttempt'): PendingActivity => ({
  activityType,
  activityId: '1',
  attempt: 1,
  lastHeartbeat: null,
  details,
});

test('the backup heartbeat of the newest epoch is the job’s; other details and none give null', () => {
  assert.equal(backupHeartbeat([]), null);
  assert.equal(backupHeartbeat([pending(null), pending({ other: 1 }, 'appHost')]), null);
  // a cancelled attempt can still be pending beside the next one
  assert.deepEqual(backupHeartbeat([pending(beat(3, 10)), pending(beat(4, 5)), pending(null)]), beat(4, 5));
  assert.deepEqual(backupHeartbeat([pending(beat(4, 5)), pending(beat(3, 10))]), beat(4, 5));
});

test('an operation heartbeat is found among the pending activities', () => {
  const op = { summary: 's', progress: { files: 1, bytes: 2, totalFiles: 3, totalBytes: 4, currentPath: null } };
  assert.deepEqual(operationHeartbeat([pending(null, 'checkRestoreTarget'), pending(op, 'restoreSnapshot')]), op);
  assert.equal(operationHeartbeat([pending(beat(1, 1))].slice(1)), null);
});

test('views take the live progress, and keep their own when there is none', () => {
  const view = { jobId: 'j', state: 'running', progress: null } as unknown as JobView;
  assert.deepEqual(withBackupProgress(view, beat(2, 9)).progress, progress(2, 9));
  assert.equal(withBackupProgress(view, null), view);
  const op = { state: 'running', progress: null } as unknown as OperationView;
  const live = { summary: 's', progress: { files: 1, bytes: 2, totalFiles: 3, totalBytes: 4, currentPath: null } };
  assert.deepEqual(withOperationProgress(op, live).progress, live.progress);
  // a finished operation's view has the final counts: a late heartbeat does not replace them
  const done = { ...op, state: 'succeeded' } as OperationView;
  assert.equal(withOperationProgress(done, live), done);
});

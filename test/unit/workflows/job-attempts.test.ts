import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobAttempts, type AttemptEnd } from '../../../src/workflows/job-attempts';
import { DEFAULT_JOB_SETTINGS, type RestartPolicy } from '../../../src/model/plan';
import { type BackupJobInput, type CheckpointRef } from '../../../src/model/backup';

const drives = [
  { name: 'd1', node: 'n1', kind: 'directory' as const, path: '/san/d1' },
  { name: 'd2', node: 'n2', kind: 'directory' as const, path: '/san/d2' },
  { name: 'd2b', node: 'n2', kind: 'directory' as const, path: '/san/d2b' },
];
function input(restart: RestartPolicy = 'auto', maxAttempts = 3): BackupJobInput {
  return {
    cluster: 'c',
    jobId: 'baton-backup-db-1',
    coordinatorId: 'baton-coordinator-c',
    app: {
      name: 'db',
      paths: ['/d'],
      restart,
      maxCheckpointAgeSeconds: 600,
      bandwidthLimitBytesPerSecond: 0,
      schedule: null,
    },
    node: 'n1',
    drive: drives[0],
    drives,
    settings: { ...DEFAULT_JOB_SETTINGS, maxAttempts, placementWaitSeconds: 120 },
    requestedBy: 'test',
    full: false,
  };
}

const now = Date.parse('2026-11-27T12:00:00.000Z');
const checkpoint: CheckpointRef = {
  at: '2026-11-27T11:59:00.000Z',
  epoch: 1,
  node: 'n1',
  files: 40,
  bytes: 4000,
  seq: 3,
};
const died: AttemptEnd = {
  kind: 'failed',
  outcome: 'timed-out',
  error: 'stopped heartbeating (node dead or cut off)',
  final: false,
};
const moved: AttemptEnd = { kind: 'moved', to: 'n2' };
const full: AttemptEnd = { kind: 'failed', outcome: 'failed', error: 'drive d1 is full', final: true };

test('the first attempt runs where the job started, fresh, and is not a re-route', () => {
  const a = new JobAttempts(input());
  assert.deepEqual(a.current, { number: 1, node: 'n1', drive: drives[0], restart: null, resumeFrom: null });
  assert.equal(a.rerouted, false);
  assert.deepEqual(a.start(), {
    cluster: 'c',
    jobId: 'baton-backup-db-1',
    number: 1,
    node: 'n1',
    drive: 'd1',
    restart: undefined,
    resumedFrom: undefined,
  });
});

test('an attempt that ended records its outcome and why', () => {
  assert.deepEqual(JobAttempts.ending(moved), { outcome: 'moved', detail: 'app moved to n2' });
  assert.deepEqual(JobAttempts.ending(died), { outcome: 'timed-out', detail: died.error });
});

test('a failure another attempt cannot fix ends the job with its own message', () => {
  assert.deepEqual(new JobAttempts(input()).after(full), { kind: 'give-up', error: 'drive d1 is full' });
});

test('a final failure wins over the attempt limit', () => {
  assert.deepEqual(new JobAttempts(input('auto', 1)).after(full), { kind: 'give-up', error: 'drive d1 is full' });
});

test('the last allowed attempt ending early gives up, naming the count, the node and the end', () => {
  const a = new JobAttempts(input('auto', 1));
  assert.deepEqual(a.after(moved), {
    kind: 'give-up',
    error: 'gave up after 1 attempts; the last one on n1: app moved to n2',
  });
  assert.deepEqual(a.after(died), {
    kind: 'give-up',
    error: `gave up after 1 attempts; the last one on n1: ${died.error}`,
  });
});

test('an app that moved is followed to its new node without asking the cluster', () => {
  assert.deepEqual(new JobAttempts(input()).after(moved), {
    kind: 'retry',
    cause: 'app moved from n1 to n2',
    to: 'n2',
  });
});

test('a node that failed leaves the next node to the cluster, and the cause names the attempt', () => {
  assert.deepEqual(new JobAttempts(input()).after(died), {
    kind: 'retry',
    cause: 'attempt 1 on n1 stopped heartbeating (node dead or cut off)',
    to: null,
  });
});

test('the job waits for placement for the plan’s placement wait', () => {
  assert.equal(new JobAttempts(input()).placementDeadline(now), now + 120_000);
});

test('an app placed nowhere in time ends the job', () => {
  assert.deepEqual(new JobAttempts(input()).place('attempt 1 on n1 ran out of time', null), {
    kind: 'give-up',
    error: 'attempt 1 on n1 ran out of time, and the cluster placed the app on no node within 120 s',
  });
});

test('a node without a pre-assigned drive ends the job', () => {
  assert.deepEqual(new JobAttempts(input()).place('app moved from n1 to n9', 'n9'), {
    kind: 'give-up',
    error: 'app moved from n1 to n9, but node n9 has no pre-assigned drive; add one to the config',
  });
});

test('the next attempt writes to its node’s first pre-assigned drive', () => {
  assert.deepEqual(new JobAttempts(input()).place('app moved from n1 to n2', 'n2'), {
    kind: 'placed',
    node: 'n2',
    drive: drives[1],
  });
  assert.equal(new JobAttempts(input()).driveFor('n9'), undefined);
});

test('the next node is asked about the checkpoint only when the job may resume from it', () => {
  assert.equal(new JobAttempts(input('auto')).shouldCheck(checkpoint), true);
  assert.equal(new JobAttempts(input('checkpoint')).shouldCheck(checkpoint), true);
  assert.equal(new JobAttempts(input('fresh')).shouldCheck(checkpoint), false, 'a fresh policy never resumes');
  assert.equal(new JobAttempts(input('auto')).shouldCheck(null), false, 'no checkpoint, nothing to read');
});

test('the next attempt resumes from a readable checkpoint, and re-routes', () => {
  const a = new JobAttempts(input());
  const next = a.next('app moved from n1 to n2', { node: 'n2', drive: drives[1] }, checkpoint, { readable: true }, now);
  assert.equal(next.number, 2);
  assert.equal(next.node, 'n2');
  assert.equal(next.drive.name, 'd2');
  assert.equal(next.restart.kind, 'checkpoint');
  assert.match(next.restart.reason, /^app moved from n1 to n2; resuming after 40 files/);
  assert.equal(next.resumeFrom, checkpoint);
  assert.deepEqual(a.current, next);
  assert.equal(a.rerouted, true);
  assert.deepEqual(a.start(), {
    cluster: 'c',
    jobId: 'baton-backup-db-1',
    number: 2,
    node: 'n2',
    drive: 'd2',
    restart: next.restart,
    resumedFrom: { at: checkpoint.at, node: 'n1', files: 40, bytes: 4000 },
  });
});

test('the next attempt starts fresh when the new node cannot read the checkpoint', () => {
  const a = new JobAttempts(input());
  const problem = "checkpoint 3 of job baton-backup-db-1 does not open with drive d1's key: the tag does not verify";
  const next = a.next(
    'app moved from n1 to n2',
    { node: 'n2', drive: drives[1] },
    checkpoint,
    { readable: false, problem },
    now,
  );
  assert.equal(next.restart.kind, 'fresh');
  assert.match(
    next.restart.reason,
    /node n2 cannot read the checkpoint's data written on n1: checkpoint 3 of job .* does not open with drive d1's key: the tag does not verify$/,
  );
  assert.equal(next.resumeFrom, null);
  assert.equal(a.start().resumedFrom, undefined);
});

test('the next attempt starts fresh under a fresh policy, unasked', () => {
  const a = new JobAttempts(input('fresh'));
  const next = a.next('attempt 1 on n1 ran out of time', { node: 'n2', drive: drives[1] }, checkpoint, null, now);
  assert.equal(next.restart.kind, 'fresh');
  assert.equal(next.resumeFrom, null);
});

test('attempts count on from the current one', () => {
  const a = new JobAttempts(input('auto', 3));
  a.next('c1', { node: 'n2', drive: drives[1] }, null, null, now);
  assert.deepEqual(a.after(died), { kind: 'retry', cause: `attempt 2 on n2 ${died.error}`, to: null });
  a.next('c2', { node: 'n1', drive: drives[0] }, null, null, now);
  assert.equal(a.current.number, 3);
  assert.equal(a.after(died).kind, 'give-up');
});

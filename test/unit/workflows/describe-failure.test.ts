import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { describeFailure } from '../../../src/workflows/describe-failure';

const activity = (cause: Error) =>
  new ActivityFailure('activity failed', 'backupAttempt', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
const timeout = (type: TimeoutType) => activity(new TimeoutFailure(undefined, undefined, type));

test('a node that stopped heartbeating is unavailable, said of the node and of the attempt', () => {
  const d = describeFailure(timeout(TimeoutType.HEARTBEAT), 'node-1');
  assert.equal(d.outcome, 'timed-out');
  assert.equal(d.type, 'NodeUnavailable');
  assert.equal(d.message, 'node node-1 stopped heartbeating (dead or cut off from Temporal)');
  // The failover test matches the restart reason "attempt 1 on node-1 stopped heartbeating ...".
  assert.equal(d.ofAttempt, 'stopped heartbeating (node dead or cut off)');
  assert.equal(d.final, false);
});

test('work no node picked up is unavailable', () => {
  const d = describeFailure(timeout(TimeoutType.SCHEDULE_TO_START), 'node-2');
  assert.equal(d.type, 'NodeUnavailable');
  assert.equal(d.message, 'no backup service picked the work up on node node-2 (is its node process running?)');
  assert.equal(d.ofAttempt, 'was never picked up (no backup service polling that node)');
  assert.equal(d.final, false);
});

test('work that ran out of time is unavailable', () => {
  const d = describeFailure(timeout(TimeoutType.START_TO_CLOSE), 'node-3');
  assert.equal(d.outcome, 'timed-out');
  assert.equal(d.message, 'node node-3 ran out of time');
  assert.equal(d.ofAttempt, 'ran out of time');
});

test('a service failure keeps its type and message; a final one is final', () => {
  const d = describeFailure(
    activity(ApplicationFailure.create({ message: 'drive d1 is full', type: 'DriveFull' })),
    'n',
  );
  assert.deepEqual(d, {
    outcome: 'failed',
    type: 'DriveFull',
    message: 'drive d1 is full',
    ofAttempt: 'drive d1 is full',
    final: true,
  });
});

test('a fenced attempt is fenced, and final', () => {
  const d = describeFailure(activity(ApplicationFailure.create({ message: 'epoch 2 < 3', type: 'Fenced' })), 'n');
  assert.equal(d.outcome, 'fenced');
  assert.equal(d.final, true);
});

test('a failure another attempt may fix is not final', () => {
  const d = describeFailure(activity(ApplicationFailure.create({ message: 'cut off', type: 'Isolated' })), 'n');
  assert.equal(d.outcome, 'failed');
  assert.equal(d.type, 'Isolated');
  assert.equal(d.final, false);
});

test('a failure without a type is Failed', () => {
  assert.equal(describeFailure(activity(ApplicationFailure.create({ message: 'x' })), 'n').type, 'Failed');
});

test('anything else reads as its message, or itself', () => {
  assert.deepEqual(describeFailure(new Error('boom'), 'n'), {
    outcome: 'failed',
    type: 'Failed',
    message: 'boom',
    ofAttempt: 'boom',
    final: false,
  });
  assert.equal(describeFailure('odd', 'n').message, 'odd');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityCancellationType } from '@temporalio/common';
import { nodeActivityOptions } from '../../../src/workflows/node-activities';

const settings = { scheduleToStartTimeoutSeconds: 30, heartbeatTimeoutSeconds: 10 };

test('a check runs once on the queue of the node (of its cluster), answered within 30 s', () => {
  assert.deepEqual(
    nodeActivityOptions({ cluster: 'prod', node: 'node-2' }, settings, {
      kind: 'check',
      summary: 'can node-2 read it?',
    }),
    {
      taskQueue: 'baton-prod-node-node-2',
      scheduleToStartTimeout: '30s',
      startToCloseTimeout: '30s',
      retry: { maximumAttempts: 1 },
      summary: 'can node-2 read it?',
    },
  );
});

test('work heartbeats, runs up to a day, does not wait for a dead node to confirm a cancel, and retries as told', () => {
  const retry = { maximumAttempts: 3, initialInterval: '2s' };
  assert.deepEqual(
    nodeActivityOptions({ cluster: 'prod', node: 'node-3' }, settings, { kind: 'work', summary: 'restore', retry }),
    {
      taskQueue: 'baton-prod-node-node-3',
      scheduleToStartTimeout: '30s',
      startToCloseTimeout: '24h',
      heartbeatTimeout: '10s',
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      retry,
      summary: 'restore',
    },
  );
});

/**
 * coordinatorStatus retries a query the server refuses while the coordinator's workflow task is
 * being retried ("Workflow Task in failed state"), for a bounded time, then says so in one line.
 * The client is a stand-in answering the handle's query; the real refusal is the integration
 * tests' (frozen-node.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError, type Client } from '@temporalio/client';
import { coordinatorStatus } from '../../../src/client/coordinator-client';
import type { CoordinatorSnapshot } from '../../../src/model/coordinator';
import { UserError } from '../../../src/model/errors';

const refusal = () =>
  new ServiceError('Failed to query Workflow', {
    cause: Object.assign(new Error('9 FAILED_PRECONDITION'), {
      code: 9,
      details: 'Unable to query workflow due to Workflow Task in failed state.',
    }),
  });

const snapshot = { host: 'node-2' } as CoordinatorSnapshot;

/** A client whose coordinator query runs `answer` with the number of the call (1, 2, ...). */
function clientAnswering(answer: (call: number) => CoordinatorSnapshot) {
  let calls = 0;
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({ workflowId, query: () => Promise.resolve().then(() => answer(++calls)) }),
    },
  } as unknown as Client;
  return { client, calls: () => calls };
}

test('a refused status query is asked again until the coordinator answers', async () => {
  const { client, calls } = clientAnswering((call) => {
    if (call < 3) throw refusal();
    return snapshot;
  });
  assert.deepEqual(await coordinatorStatus(client, 'demo', 5000), snapshot);
  assert.equal(calls(), 3);
});

test('a coordinator refusing for longer than the retry time is a one-line error naming it', async () => {
  const { client, calls } = clientAnswering(() => {
    throw refusal();
  });
  const started = Date.now();
  await assert.rejects(coordinatorStatus(client, 'demo', 600), (err: Error) => {
    assert.ok(err instanceof UserError);
    assert.match(
      err.message,
      /coordinator of cluster demo \(workflow baton-coordinator-demo\) did not answer for 0.6 s/,
    );
    assert.match(err.message, /workflow task keeps failing or timing out/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  assert.ok(Date.now() - started >= 600);
  assert.ok(calls() >= 2);
});

test('any other query error is not retried', async () => {
  const { client, calls } = clientAnswering(() => {
    throw new Error('UNAVAILABLE');
  });
  await assert.rejects(coordinatorStatus(client, 'demo', 5000), /UNAVAILABLE/);
  assert.equal(calls(), 1);
});

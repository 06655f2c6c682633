/**
 * coordinatorStatus retries a query the server refuses while the coordinator's workflow task is
 * being retried ("Workflow Task in failed state"), for a bounded time, then says so in one line.
 * The client is a stand-in answering the handle's query; the real refusal is the integration
 * tests' (frozen-node.test.ts). A coordinator whose workflow task fails on a nondeterminism error
 * (the captured fixture, moving to a build by Worker Versioning) is named stuck, with the build
 * that fails it and the way out (the real one: upgrade-unpatched.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection, ServiceError, type Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { StuckCoordinatorError, coordinatorStatus } from '../../../src/client/coordinator-client';
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

/**
 * A client whose coordinator query runs `answer` with the number of the call (1, 2, ...); its
 * describe() and newest events are `stuck`'s (a shape captured from a dev server), else those of
 * a workflow with no failing task.
 */
function clientAnswering(
  answer: (call: number) => CoordinatorSnapshot,
  stuck?: { describe: unknown; events: unknown },
  connection?: Connection,
) {
  let calls = 0;
  const client = {
    connection,
    options: { namespace: 'default' },
    workflowService: {
      getWorkflowExecutionHistoryReverse: () => Promise.resolve({ history: { events: stuck?.events ?? [] } }),
    },
    // an iterable of the coordinator's running children, as the client's list() is asynchronously
    list: () => [{ workflowId: 'baton-backup-demo-sample-db-1' }],
  };
  Object.assign(client, {
    workflow: {
      getHandle: (workflowId: string) => ({
        workflowId,
        client,
        query: () => Promise.resolve().then(() => answer(++calls)),
        describe: () => Promise.resolve({ raw: stuck?.describe ?? {} }),
      }),
    },
  });
  return { client: client as unknown as Client, calls: () => calls };
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

test("a refused status query is not retried past its caller's deadline (connection.withDeadline)", async () => {
  // a real Connection (never connected): withDeadline keeps the deadline where the SDK's own requests read it
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const deadlineExceeded = new ServiceError('Failed to query Workflow', {
    cause: Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4, details: 'Deadline exceeded' }),
  });
  const { client, calls } = clientAnswering(
    () => {
      throw deadlineExceeded;
    },
    undefined,
    connection,
  );
  try {
    const started = Date.now();
    // the retry time (STATUS_RETRY_MS, 5 s) is longer than the caller's 600 ms
    await assert.rejects(
      connection.withDeadline(Date.now() + 600, () => coordinatorStatus(client, 'demo')),
      (err: unknown) => err === deadlineExceeded,
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 550 && waited < 1500, `gave up after ${waited} ms`);
    assert.ok(calls() >= 2, `${calls()} queries`);
  } finally {
    await connection.close();
  }
});

test('any other query error is not retried', async () => {
  const { client, calls } = clientAnswering(() => {
    throw new Error('UNAVAILABLE');
  });
  await assert.rejects(coordinatorStatus(client, 'demo', 5000), /UNAVAILABLE/);
  assert.equal(calls(), 1);
});

test('a coordinator refusing because a new build cannot replay it is named stuck, with that build and the pin', async () => {
  const dir = resolve(__dirname, '..', '..', '..', '..', 'test', 'unit', 'client', 'fixtures');
  const captured = JSON.parse(readFileSync(join(dir, 'stuck-nondeterminism.json'), 'utf8')) as {
    describe: Record<string, unknown>;
    newestEvents: unknown;
  };
  const describe = temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.fromObject(captured.describe);
  const events = historyFromJSON(captured.newestEvents).events ?? [];
  // as a versioned coordinator after `baton upgrade --build-id b2`: its last completed task on
  // build b1, moving to b2
  const completed = events.find((e) => e.workflowTaskCompletedEventAttributes)?.workflowTaskCompletedEventAttributes;
  assert.ok(completed && describe.workflowExecutionInfo);
  completed.deploymentVersion = { deploymentName: 'baton-demo', buildId: 'b1' };
  describe.workflowExecutionInfo.versioningInfo = {
    versionTransition: { deploymentVersion: { deploymentName: 'baton-demo', buildId: 'b2' } },
  };
  const { client } = clientAnswering(
    () => {
      throw refusal();
    },
    { describe, events },
  );
  await assert.rejects(coordinatorStatus(client, 'demo', 300), (err: Error) => {
    assert.ok(err instanceof StuckCoordinatorError, String(err));
    assert.match(
      err.message,
      /is stuck: its workflow task fails on every try \(NON_DETERMINISTIC_ERROR: .* of build b2\)/,
    );
    assert.match(err.advice, /^build b2 cannot replay the history build b1 made/);
    assert.match(err.advice, /roll back to it with `baton upgrade --build-id b1`/);
    assert.deepEqual(err.orphans, ['baton-backup-demo-sample-db-1']);
    assert.deepEqual(err.task?.failingBuild, { deploymentName: 'baton-demo', buildId: 'b2' });
    return true;
  });
});

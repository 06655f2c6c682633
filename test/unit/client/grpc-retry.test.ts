/**
 * The client connection's gRPC retries (src/client/grpc-retry.ts): the SDK's, except an update the
 * server refused because its run is closing, which is passed up at once for the caller to send to
 * the next run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { isUpdateOverload, isWorkflowClosing, retriesAfter } from '../../../src/client/grpc-retry';
import { UPDATES_PER_PROCESS, coordinatorUpdates } from '../../../src/client/update-admission';

const UPDATE = '/temporal.api.workflowservice.v1.WorkflowService/UpdateWorkflowExecution';
const SIGNAL = '/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution';
const CLOSING = 'workflow operation can not be applied because workflow is closing';

const status = (code: number, details: string) => ({ code, details, metadata: {} }) as never;

test('an update refused as closing is not tried again; other refusals and other calls keep the SDK retry', () => {
  assert.equal(retriesAfter(UPDATE, 1, status(8, CLOSING)), false);
  assert.equal(retriesAfter(UPDATE, 1, status(8, 'too many outstanding requests')), true, 'rate limit');
  assert.equal(retriesAfter(UPDATE, 1, status(14, 'connection refused')), true, 'UNAVAILABLE');
  assert.equal(retriesAfter(SIGNAL, 1, status(8, CLOSING)), true, 'a signal to the workflow reaches the next run');
  assert.equal(retriesAfter(UPDATE, 1, status(5, 'workflow not found')), false, 'NOT_FOUND never was');
  assert.equal(retriesAfter(UPDATE, 10, status(14, 'connection refused')), false, 'the SDK stops after 10 tries');
});

test('the closing refusal is recognised through the SDK error that wraps it, and only it', () => {
  const grpc = Object.assign(new Error(`8 RESOURCE_EXHAUSTED: ${CLOSING}`), {
    code: 8,
    details: CLOSING,
    metadata: {},
  });
  assert.ok(isWorkflowClosing(new ServiceError('Workflow Update failed', { cause: grpc })));
  assert.ok(isWorkflowClosing(new Error('try failed', { cause: grpc })));
  // a NativeConnection's error carries the words in its message
  assert.ok(isWorkflowClosing(Object.assign(new Error(CLOSING), { code: 8 })));
  assert.equal(isWorkflowClosing(Object.assign(new Error(CLOSING), { code: 14 })), false, 'another code');
  const limit = Object.assign(new Error('limit'), { code: 8, details: 'namespace rate limit exceeded', metadata: {} });
  assert.equal(isWorkflowClosing(new ServiceError('Workflow Update failed', { cause: limit })), false);
  assert.equal(isWorkflowClosing(undefined), false);
});

test('an update refused or aborted for the limit in flight is retried, and narrows the process’s window', () => {
  const LIMIT = 'limit on number of concurrent in-flight updates has been reached (100)';
  const ABORTED = 'workflow update was aborted';
  const POLL = '/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowExecutionUpdate';
  assert.ok(isUpdateOverload(status(8, LIMIT)));
  assert.ok(isUpdateOverload(status(14, 'Workflow Update was aborted.')));
  assert.ok(!isUpdateOverload(status(8, 'too many outstanding requests')), 'a rate limit is not the workflow’s');
  assert.ok(!isUpdateOverload(status(14, 'connection refused')));
  // a signal's RESOURCE_EXHAUSTED leaves the window as it is
  assert.equal(retriesAfter(SIGNAL, 1, status(8, LIMIT)), true);
  assert.equal(coordinatorUpdates.limit, UPDATES_PER_PROCESS);
  assert.equal(retriesAfter(UPDATE, 1, status(8, LIMIT)), true);
  assert.equal(coordinatorUpdates.limit, UPDATES_PER_PROCESS / 2);
  // within the second: the same overload, told again by another update or its outcome's poll
  assert.equal(retriesAfter(POLL, 1, status(14, ABORTED)), true);
  assert.equal(coordinatorUpdates.limit, UPDATES_PER_PROCESS / 2);
});

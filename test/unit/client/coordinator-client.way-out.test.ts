/**
 * wayOut alone: what a stuck coordinator's error advises by the cause of its failing workflow
 * task. A task that times out is not blamed on a version (an overloaded machine does it too:
 * bench/scale's 10,000-job day); a task that fails is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { wayOut } from '../../../src/client/coordinator-client';
import type { FailedTask } from '../../../src/client/failed-task';

const handle = {
  workflowId: 'baton-coordinator-demo',
  client: { connection: {}, options: { namespace: 'default' } },
} as unknown as WorkflowHandle;

const task = (cause: string): FailedTask => ({
  attempt: 3,
  cause,
  message: '',
  worker: '',
  lastBuild: null,
  failingBuild: null,
});

test('a task that times out: the nodes are overloaded or frozen, then the way out', () => {
  const advice = wayOut(handle, task('TIMED_OUT'), ['job-1']);
  assert.match(advice, /overloaded or frozen/);
  assert.doesNotMatch(advice, /incompatible version/);
  assert.match(advice, /try again; if it stays so, terminating it leaves its 1 running job\(s\) \(job-1\)/);
});

test('a task that fails: a version that cannot run it', () => {
  const advice = wayOut(handle, task('WORKFLOW_WORKER_UNHANDLED_FAILURE'), []);
  assert.match(advice, /older, incompatible version of Baton/);
  assert.match(advice, /temporal workflow terminate --workflow-id baton-coordinator-demo/);
});

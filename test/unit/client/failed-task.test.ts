/**
 * failedTaskOf and failedPrecondition on what a real dev server said about a stuck coordinator
 * (fixtures/stuck-*.json, captured by scripts/capture-stuck-shapes.ts): one whose code threw in
 * its first task, one whose workers ran code that could not replay its history. The versioned
 * case (a build to pin it to) is the nondeterminism capture with a deployment version put on its
 * newest WorkflowTaskCompleted event, as a versioned node's completion carries one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { failedPrecondition, failedTaskOf, queryUnanswered } from '../../../src/client/failed-task';

const dir = resolve(__dirname, '..', '..', '..', '..', 'test', 'unit', 'client', 'fixtures');

interface Shapes {
  describe: Record<string, unknown>;
  newestEvents: unknown;
  updateError: Record<string, unknown>[];
  updateWithStartError: Record<string, unknown>[];
  queryError: Record<string, unknown>[];
}

function shapes(name: string): Shapes {
  return JSON.parse(readFileSync(join(dir, `stuck-${name}.json`), 'utf8')) as Shapes;
}

function parsed(s: Shapes) {
  const describe = temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.fromObject(s.describe);
  return { describe, events: historyFromJSON(s.newestEvents).events ?? [] };
}

/** An error chain as the client gave it, rebuilt from its captured links. */
function errorChain(links: Record<string, unknown>[]): Error {
  return links.reduceRight<Error | undefined>(
    (cause, link) => Object.assign(new Error(String(link.message), { cause }), link),
    undefined,
  ) as Error;
}

test('a coordinator whose code throws: WORKFLOW_WORKER_UNHANDLED_FAILURE with the thrown message', () => {
  const { describe, events } = parsed(shapes('unhandled-failure'));
  const task = failedTaskOf(describe, events);
  assert.ok(task);
  assert.equal(task.cause, 'WORKFLOW_WORKER_UNHANDLED_FAILURE');
  assert.match(task.message, /null/);
  assert.doesNotMatch(task.message, /\n/);
  assert.ok(task.attempt >= 2, String(task.attempt));
  assert.match(task.worker, /^node-\d@/, 'the node process that failed it');
  assert.equal(task.lastBuild, null, 'unversioned workers');
});

test('a coordinator its workers cannot replay: NON_DETERMINISTIC_ERROR, the TMPRL1100 message, the worker', () => {
  const { describe, events } = parsed(shapes('nondeterminism'));
  const task = failedTaskOf(describe, events);
  assert.ok(task);
  assert.equal(task.cause, 'NON_DETERMINISTIC_ERROR');
  assert.match(task.message, /^\[TMPRL1100\] Nondeterminism error: /);
  assert.equal(task.worker, 'capture@coordinator-timer-added');
  assert.equal(task.lastBuild, null);
});

test('under Worker Versioning the build that last completed a task is the one it needs', () => {
  const { describe, events } = parsed(shapes('nondeterminism'));
  const completed = events.find((e) => e.workflowTaskCompletedEventAttributes);
  assert.ok(completed?.workflowTaskCompletedEventAttributes, 'a completed workflow task among the newest events');
  completed.workflowTaskCompletedEventAttributes.deploymentVersion = {
    deploymentName: 'baton-stuck',
    buildId: '0.1.0-0123456789ab',
  };
  assert.deepEqual(failedTaskOf(describe, events)?.lastBuild, {
    deploymentName: 'baton-stuck',
    buildId: '0.1.0-0123456789ab',
  });
});

test('a workflow task on its first try is not a failing one', () => {
  const { describe, events } = parsed(shapes('nondeterminism'));
  assert.ok(describe.pendingWorkflowTask);
  describe.pendingWorkflowTask.attempt = 1;
  assert.equal(failedTaskOf(describe, events), null);
  describe.pendingWorkflowTask = null;
  assert.equal(failedTaskOf(describe, events), null);
});

test("the server's refusals of an update, an update-with-start and a query carry FAILED_PRECONDITION", () => {
  for (const name of ['unhandled-failure', 'nondeterminism']) {
    const s = shapes(name);
    for (const links of [s.updateError, s.updateWithStartError, s.queryError])
      assert.equal(failedPrecondition(errorChain(links)), true, JSON.stringify(links));
  }
  const words = new Error('Unable to perform workflow execution update due to Workflow Task in failed state.');
  assert.equal(failedPrecondition(words), false, 'the words alone are not the code');
  assert.equal(failedPrecondition(Object.assign(new Error('limit'), { code: 8 })), false);
});

test('a query is unanswered when refused (FAILED_PRECONDITION) or timed out before a worker took it', () => {
  const timedOut = Object.assign(new Error('Failed to query Workflow'), {
    cause: Object.assign(new Error('4 DEADLINE_EXCEEDED: query timed out before a worker could process it'), {
      code: 4,
    }),
  });
  assert.equal(queryUnanswered(timedOut), true);
  assert.equal(failedPrecondition(timedOut), false, 'a timeout is not a refusal');
  assert.equal(queryUnanswered(Object.assign(new Error('refused'), { code: 9 })), true);
  assert.equal(queryUnanswered(Object.assign(new Error('unavailable'), { code: 14 })), false);
  assert.equal(queryUnanswered(new Error('4 DEADLINE_EXCEEDED')), false, 'the words alone are not the code');
});

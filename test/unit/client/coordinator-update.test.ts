/**
 * sendStartBackup alone, on a stand-in client: every try of one request carries the same update ID
 * and is addressed to the run current when it starts, it waits only for acceptance, a run that
 * closed before taking the request hands it to the next, and a coordinator that is not running is
 * said at once; then the requester starts the job the coordinator planned. (continue-as-new.test.ts
 * shows on a real server why the run matters.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
} from '@temporalio/client';
import { sendStartBackup } from '../../../src/client/coordinator-update';
import { COORDINATOR_DRAINING } from '../../../src/workflows/messages';
import type { BackupJobInput, StartBackupRequest } from '../../../src/model/backup';
import { WORKFLOW_TASK_TIMEOUT } from '../../../src/model/task-timeouts';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

interface Try {
  runId: string | undefined;
  updateId?: string;
  waitForStage: unknown;
}

type Answer = 'draining' | 'closed' | 'closing' | 'failed' | 'accepted';

/** How the SDK throws a refusal of the gRPC call: a ServiceError whose cause is the gRPC error. */
const grpcRefusal = (code: number, details: string) =>
  new ServiceError('Workflow Update failed', {
    cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }),
  });

/**
 * A coordinator whose runs answer in turn as `answers` says (one answer per try); the current run
 * is run-1 until a try is answered 'closed' or 'draining', then the next.
 */
function coordinator(answers: Answer[], status = 'RUNNING') {
  const tries: Try[] = [];
  let current = 1;
  const handle = (runId?: string) => ({
    describe: () => Promise.resolve({ runId: `run-${current}`, status: { name: status } }),
    startUpdate: (_def: unknown, opts: { updateId?: string; waitForStage: unknown }) => {
      tries.push({ runId, ...opts });
      const answer = answers[tries.length - 1] ?? 'accepted';
      if (answer !== 'accepted') current++;
      if (answer === 'closed') return Promise.reject(new WorkflowNotFoundError('already completed', 'c', runId));
      if (answer === 'closing') {
        return Promise.reject(grpcRefusal(8, 'workflow operation can not be applied because workflow is closing'));
      }
      if (answer === 'failed') return Promise.reject(grpcRefusal(8, 'namespace rate limit exceeded'));
      return Promise.resolve({
        result: () =>
          answer === 'draining'
            ? Promise.reject(
                new WorkflowUpdateFailedError(
                  'Workflow Update failed',
                  ApplicationFailure.nonRetryable('handing over', COORDINATOR_DRAINING),
                ),
              )
            : Promise.resolve({ jobId: `job-from-${runId}` }),
      });
    },
  });
  const client = { workflow: { getHandle: (_id: string, runId?: string) => handle(runId) } };
  return { client: client as unknown as Client, tries };
}

const request = { app: 'db', requestedBy: 'test' };

test('a request refused while the coordinator hands over is sent again, same ID, to the next run', async () => {
  const { client, tries } = coordinator(['draining', 'draining', 'accepted']);
  const started = await sendStartBackup(client, 'c', request);
  assert.equal(started.jobId, 'job-from-run-3', 'the answer of the run that took it');
  assert.deepEqual(
    tries.map((t) => t.runId),
    ['run-1', 'run-2', 'run-3'],
    'each try addressed to the run current when it started',
  );
  assert.ok(tries[0]?.updateId);
  assert.ok(tries.every((t) => t.updateId === tries[0]?.updateId));
  assert.ok(tries.every((t) => t.waitForStage === WorkflowUpdateStage.ACCEPTED));
});

test('a run that closed before it took the request hands it to the next run', async () => {
  const { client, tries } = coordinator(['closed', 'accepted']);
  const started = await sendStartBackup(client, 'c', request);
  assert.equal(started.jobId, 'job-from-run-2');
  assert.deepEqual(
    tries.map((t) => t.runId),
    ['run-1', 'run-2'],
  );
});

test('a run closing as the request came (it aborted it unaccepted) hands it to the next run, same ID', async () => {
  const { client, tries } = coordinator(['closing', 'accepted']);
  const started = await sendStartBackup(client, 'c', request);
  assert.equal(started.jobId, 'job-from-run-2');
  assert.deepEqual(
    tries.map((t) => [t.runId, t.updateId]),
    [
      ['run-1', tries[0]?.updateId],
      ['run-2', tries[0]?.updateId],
    ],
  );
});

test('another refusal of the call is thrown as it came, not sent again', async () => {
  const { client, tries } = coordinator(['failed']);
  await assert.rejects(sendStartBackup(client, 'c', request), ServiceError);
  assert.equal(tries.length, 1);
});

test('a coordinator that is not running is said at once, nothing sent', async () => {
  const { client, tries } = coordinator([], 'TERMINATED');
  await assert.rejects(sendStartBackup(client, 'c', request), WorkflowNotFoundError);
  assert.equal(tries.length, 0);
});

test('two requests carry two update IDs; a caller may give its own', async () => {
  const a = coordinator([]);
  const b = coordinator([]);
  await sendStartBackup(a.client, 'c', request);
  await sendStartBackup(b.client, 'c', request);
  assert.notEqual(a.tries[0]?.updateId, b.tries[0]?.updateId);
  const c = coordinator(['draining']);
  await sendStartBackup(c.client, 'c', request, { updateId: 'schedule:run-7' });
  assert.deepEqual(
    c.tries.map((t) => t.updateId),
    ['schedule:run-7', 'schedule:run-7'],
  );
});

/** A coordinator that takes every request and answers with `job` planned; the client's starts are kept. */
function planningCoordinator(job: BackupJobInput | undefined, startsFail: Error[] = []) {
  const requests: StartBackupRequest[] = [];
  const starts: { type: string; opts: Record<string, unknown> }[] = [];
  const handle = {
    describe: () => Promise.resolve({ runId: 'run-1', status: { name: 'RUNNING' } }),
    startUpdate: (_def: unknown, opts: { args: [StartBackupRequest] }) => {
      requests.push(opts.args[0]);
      return Promise.resolve({
        result: () => Promise.resolve({ jobId: 'j1', node: 'n1', drive: 'd1', ...(job ? { job } : {}) }),
      });
    },
  };
  const client = {
    workflow: {
      getHandle: () => handle,
      start: (type: string, opts: Record<string, unknown>) => {
        starts.push({ type, opts });
        const err = startsFail[starts.length - 1];
        return err ? Promise.reject(err) : Promise.resolve({});
      },
    },
  };
  return { client: client as unknown as Client, requests, starts };
}

test('the requester starts the job the coordinator planned, under its ID, never reusing it; callers get the short answer', async () => {
  const job = testBackupJob(testPlan(), { jobId: 'j1', startBy: '2026-12-07T03:00:00.000Z' });
  const c = planningCoordinator(job);
  const started = await sendStartBackup(c.client, 'c', request);
  assert.deepEqual(c.requests, [{ ...request, startsJob: true }]);
  assert.deepEqual(started, { jobId: 'j1', node: 'n1', drive: 'd1' });
  assert.equal(c.starts.length, 1);
  const [{ type, opts }] = c.starts;
  assert.equal(type, 'backupJob');
  assert.equal(opts.workflowId, 'j1');
  assert.deepEqual(opts.args, [job]);
  assert.equal(opts.workflowIdReusePolicy, WorkflowIdReusePolicy.REJECT_DUPLICATE);
  assert.equal(opts.workflowTaskTimeout, WORKFLOW_TASK_TIMEOUT);
});

test('a start that finds the job started (the same request, retried) is done; another failure is thrown', async () => {
  const job = testBackupJob(testPlan(), { jobId: 'j1' });
  const again = planningCoordinator(job, [new WorkflowExecutionAlreadyStartedError('started', 'j1', 'backupJob')]);
  assert.equal((await sendStartBackup(again.client, 'c', request)).jobId, 'j1');
  const down = planningCoordinator(job, [grpcRefusal(14, 'connection refused')]);
  await assert.rejects(sendStartBackup(down.client, 'c', request), ServiceError);
});

test('a coordinator run from older code starts the job itself and sends no plan: nothing is started here', async () => {
  const c = planningCoordinator(undefined);
  assert.equal((await sendStartBackup(c.client, 'c', request)).jobId, 'j1');
  assert.equal(c.starts.length, 0);
});

/**
 * What a scheduled run takes for the coordinator's answer: a refusal ends the run skipped with its
 * reason; the coordinator handing over to its next run is no answer, and the activity is retried;
 * a refusal for the job the run's own earlier try started is that job.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { ownRunningJob, scheduledRefusal } from '../../../src/activities/schedule-activities';
import type { BackupJobInput } from '../../../src/model/backup';
import { COORDINATOR_DRAINING } from '../../../src/workflows/messages';

test('the coordinator’s refusal is the run’s reason to skip', () => {
  const busy = ApplicationFailure.nonRetryable('app db already has a backup running (baton-backup-x)', 'BackupRunning');
  assert.equal(
    scheduledRefusal(new WorkflowUpdateFailedError('Workflow Update failed', busy)),
    'app db already has a backup running (baton-backup-x)',
  );
});

test('a coordinator still handing over to its next run is no refusal: the activity fails and is retried', () => {
  const draining = ApplicationFailure.retryable('the coordinator is handing over', COORDINATOR_DRAINING);
  assert.equal(scheduledRefusal(new WorkflowUpdateFailedError('Workflow Update failed', draining)), null);
  // nor is any failure that is not the coordinator's answer
  assert.equal(scheduledRefusal(new Error('connection refused')), null);
});

/** A client whose server knows one job, started with `input` (or none: `input` null), as ownRunningJob reads it. */
function clientKnowing(jobId: string, input: Partial<BackupJobInput> | null): Client {
  return {
    options: {
      namespace: 'default',
      loadedDataConverter: {
        payloadConverter: defaultPayloadConverter,
        payloadCodecs: [],
        failureConverter: undefined,
      },
    },
    workflowService: {
      getWorkflowExecutionHistory: (req: { execution: { workflowId: string } }) => {
        if (input === null || req.execution.workflowId !== jobId)
          return Promise.reject(new Error('workflow not found'));
        return Promise.resolve({
          history: {
            events: [
              {
                workflowExecutionStartedEventAttributes: {
                  input: { payloads: [defaultPayloadConverter.toPayload(input)] },
                },
              },
            ],
          },
        });
      },
    },
  } as unknown as Client;
}

const JOB = 'baton-backup-demo-db-1';
const MINE = 'schedule:baton-scheduled-demo-db-2026-12-07T20:09:00Z';
const alreadyRunning = (details?: unknown) =>
  new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({
      message: `app "db" already has a backup running (${JOB}); wait for it or cancel it first`,
      type: 'AlreadyRunning',
      nonRetryable: true,
      details: details === undefined ? undefined : [details],
    }),
  );
const started: Partial<BackupJobInput> = {
  jobId: JOB,
  node: 'node-2',
  drive: { name: 'node-2-disk' } as BackupJobInput['drive'],
  requestedBy: MINE,
};

test('a retried request refused for the job its own earlier try started gets that job', async () => {
  const client = clientKnowing(JOB, started);
  assert.deepEqual(await ownRunningJob(client, alreadyRunning({ jobId: JOB }), MINE), {
    jobId: JOB,
    node: 'node-2',
    drive: 'node-2-disk',
  });
});

test('a job someone else asked for, one not started, or a refusal naming none: the refusal stands', async () => {
  assert.equal(
    await ownRunningJob(
      clientKnowing(JOB, { ...started, requestedBy: 'cli:ops' }),
      alreadyRunning({ jobId: JOB }),
      MINE,
    ),
    null,
  );
  assert.equal(await ownRunningJob(clientKnowing(JOB, null), alreadyRunning({ jobId: JOB }), MINE), null);
  // a coordinator from before the refusal named its job
  assert.equal(await ownRunningJob(clientKnowing(JOB, started), alreadyRunning(), MINE), null);
  assert.equal(await ownRunningJob(clientKnowing(JOB, started), new Error('connection refused'), MINE), null);
});

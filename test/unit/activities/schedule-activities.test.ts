/**
 * What a scheduled run takes for the coordinator's answer: a refusal ends the run skipped with its
 * reason; the coordinator handing over to its next run is no answer, and the activity is retried.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { scheduledRefusal } from '../../../src/activities/schedule-activities';
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

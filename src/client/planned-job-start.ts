/**
 * The start of a backup job the coordinator planned for its requester
 * (COORDINATOR_LETS_REQUESTERS_START_JOBS): the requester starts the job's workflow with the
 * client, so starts run side by side instead of queueing on the coordinator's history.
 *
 * A request is answered once per update ID, so a requester that is retried (a scheduled run's
 * activity) gets the same plan again and starts the same workflow ID: the second start finds it
 * and is done. The ID is never reused (REJECT_DUPLICATE), so a job that already ended is not run
 * again. A start that comes after the job's `startBy` still starts the workflow, which then ends
 * at once (JOB_STARTS_WITHIN_ITS_WINDOW): the server's clock decides, not this node's.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { BackupJobInput } from '../model/backup';
import { backupJobStartOptions } from '../model/backup-job-start';

/** Starts the planned job's workflow; 'already' when a start of it (this request's, retried) came first. */
export async function startPlannedJob(client: Client, job: BackupJobInput): Promise<'started' | 'already'> {
  try {
    // by name: the workflow's module imports activity types that import this module
    await client.workflow.start('backupJob', {
      ...backupJobStartOptions(job),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already';
    throw err;
  }
}

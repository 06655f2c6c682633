/**
 * `baton job cancel`: asks Temporal to cancel a job's workflow (what the Web UI's cancel does),
 * then waits for the job to end. A backup job records its end (catalog row, drive lease, the
 * coordinator told) in a non-cancellable scope; a restore or verify records it as cancelled.
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { UserError } from '../model/errors';

/** How a cancel request went: the workflow's status once it ended (or still RUNNING at the deadline). */
export interface CancelResult {
  jobId: string;
  status: WorkflowExecutionStatusName;
  waitedMs: number;
}

/** Cancels job `jobId` and waits up to `waitMs` for its workflow to close. Refuses an unknown or ended job. */
export async function cancelJob(client: Client, jobId: string, waitMs = 30_000): Promise<CancelResult> {
  const handle = client.workflow.getHandle(jobId);
  let status: WorkflowExecutionStatusName;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new UserError(`no job "${jobId}" in Temporal; list recent jobs with \`baton jobs\``);
    }
    throw err;
  }
  if (status !== 'RUNNING') {
    throw new UserError(`job "${jobId}" already ended (${status.toLowerCase()}); there is nothing to cancel`);
  }
  const started = Date.now();
  await handle.cancel();
  while (Date.now() - started < waitMs) {
    status = (await handle.describe()).status.name;
    if (status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { jobId, status, waitedMs: Date.now() - started };
}

/**
 * Where a coordinator's history answered a startBackup with a job: a job its requester starts
 * (coordinator-lets-requesters-start-jobs) is named only in the update's outcome, not by a child.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** The index of the WorkflowExecutionUpdateCompleted event whose answer names `jobId`; -1 if none. */
export function answerIndex(events: temporal.api.history.v1.IHistoryEvent[], jobId: string): number {
  return events.findIndex((e) => {
    const payload = e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads?.[0];
    return (
      payload !== undefined &&
      defaultPayloadConverter.fromPayload<{ jobId?: unknown } | undefined>(payload)?.jobId === jobId
    );
  });
}

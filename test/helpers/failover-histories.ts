/**
 * What the coordinator's and a job's histories say about how fast they act on a failover, read
 * from the events' order and their workflow tasks (no clocks): whether the coordinator told a job
 * of a move in the same workflow task that recorded it, whether a job waiting for its app's
 * placement sat out a timer after it heard of a move, and how long each coordinator run grew.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export interface CoordinatorRun {
  runId: string;
  status: string;
  historyLength: number;
}

/** Every run of the workflow `workflowId`, newest first, from visibility. */
export async function runsOf(client: Client, workflowId: string): Promise<CoordinatorRun[]> {
  const runs: CoordinatorRun[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ runId: w.runId, status: w.status.name, historyLength: w.historyLength });
  }
  return runs;
}

/** The histories of every run of `workflowId`, one list of events per run. */
export async function historiesOfRuns(client: Client, workflowId: string): Promise<HistoryEvent[][]> {
  const out: HistoryEvent[][] = [];
  for (const run of await runsOf(client, workflowId)) {
    out.push((await client.workflow.getHandle(workflowId, run.runId).fetchHistory()).events ?? []);
  }
  return out;
}

function firstInput(e: HistoryEvent): unknown {
  const data = e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

/**
 * For each `app-moved` event the coordinator recorded (a recordEvent activity) in `events`, whether
 * it signalled `jobId` in the same workflow task (true) or a later one (false); only the moves it
 * signalled the job about.
 */
export function movesToldWhileRecorded(events: HistoryEvent[], jobId: string): boolean[] {
  const out: boolean[] = [];
  events.forEach((e, i) => {
    const input = firstInput(e) as { kind?: string; message?: string } | undefined;
    if (e.activityTaskScheduledEventAttributes?.activityType?.name !== 'recordEvent') return;
    if (input?.kind !== 'app-moved' || !input.message?.includes(jobId)) return;
    const task = String(e.activityTaskScheduledEventAttributes.workflowTaskCompletedEventId);
    const signal = events
      .slice(i + 1)
      .find(
        (x) =>
          x.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowExecution?.workflowId === jobId &&
          x.signalExternalWorkflowExecutionInitiatedEventAttributes.signalName === 'appMoved',
      );
    if (!signal) return;
    out.push(
      String(signal.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId) === task,
    );
  });
  return out;
}

/**
 * For each appMoved signal the job got in `events`: whether a timer of the job fired after the
 * workflow task that took the signal began, before the job scheduled its next activity. Such a
 * timer is the job sitting out its placement wait although it had heard of a move. A timer that
 * fired before that task began (at the same moment as the signal) does not count.
 */
export function timersSatOutAfterMoves(events: HistoryEvent[]): boolean[] {
  const out: boolean[] = [];
  events.forEach((e, i) => {
    if (e.workflowExecutionSignaledEventAttributes?.signalName !== 'appMoved') return;
    const rest = events.slice(i + 1);
    const taken = rest.findIndex((x) => x.workflowTaskStartedEventAttributes);
    const next = rest.findIndex((x) => x.activityTaskScheduledEventAttributes);
    if (taken < 0 || next < 0) return;
    out.push(rest.slice(taken, next).some((x) => x.timerFiredEventAttributes));
  });
  return out;
}

/**
 * The coordinator's own cost in a scale run, from its histories on the server: how many runs it
 * went through (continue-as-new), events per run, the largest state carried into a run (its input),
 * its workflow tasks' latency from scheduled to completed, and each run's hand-over (handOver).
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { coordinatorWorkflowId } from '../../src/model/names';
import { COORDINATOR_RUN_EVENTS } from '../../src/model/coordinator';
import { percentile } from './percentile';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** WorkflowTaskFailedCause UNHANDLED_COMMAND: the server refused a completion as new events had come. */
const UNHANDLED_COMMAND = 1;

export interface HandOver {
  /** from the first workflow task started at `bound` events or more to the run's last event */
  ms: number;
  /** workflow tasks the server failed meanwhile because events arrived while they ran */
  refusedTries: number;
  /** what happened meanwhile, one line an event: ms after due, its type and what it names */
  steps: string[];
}

/** An event in a line: its type without the prefix, and the activity, signal or update it names. */
function stepOf(e: HistoryEvent, dueMs: number): string {
  const type = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '').replace(/^EVENT_TYPE_/, '');
  const name =
    e.activityTaskScheduledEventAttributes?.activityType?.name ??
    e.workflowExecutionSignaledEventAttributes?.signalName ??
    e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
    e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
    '';
  return `+${tsToMs(e.eventTime) - dueMs} ${type}${name ? ` ${name}` : ''}`;
}

/**
 * A closed run's hand-over: how long it took from being due (its first workflow task started at
 * `bound` events or more) to closing, and how many of its tasks meanwhile the server failed
 * (UnhandledCommand: a signal or a child's end arrived while the task ran). Null for a run that
 * never reached `bound`, or has not closed.
 */
export function handOver(events: HistoryEvent[], bound = COORDINATOR_RUN_EVENTS): HandOver | null {
  const last = events.at(-1);
  if (!last?.workflowExecutionContinuedAsNewEventAttributes) return null;
  const due = events.find((e) => Number(e.eventId) >= bound && e.workflowTaskStartedEventAttributes);
  if (!due) return null;
  const after = events.filter((e) => Number(e.eventId) > Number(due.eventId));
  const refusedTries = after.filter(
    (e) => Number(e.workflowTaskFailedEventAttributes?.cause ?? -1) === UNHANDLED_COMMAND,
  ).length;
  const dueMs = tsToMs(due.eventTime);
  return { ms: tsToMs(last.eventTime) - dueMs, refusedTries, steps: after.map((e) => stepOf(e, dueMs)) };
}

export interface CoordinatorFigures {
  runs: number;
  maxEventsPerRun: number;
  maxInputBytes: number;
  tasks: number;
  taskP50Ms: number | null;
  taskP99Ms: number | null;
  taskMaxMs: number | null;
  /** each run that continued as new after reaching its bound: its hand-over */
  handOvers: HandOver[];
  /** each run's start and close (ms since the epoch; close null while it runs), oldest first */
  runTimes: { start: number; close: number | null }[];
}

export async function coordinatorFigures(
  client: Client,
  cluster: string,
  sinceMs: number,
): Promise<CoordinatorFigures> {
  const id = coordinatorWorkflowId(cluster);
  const latencies: number[] = [];
  let runs = 0;
  let maxEventsPerRun = 0;
  let maxInputBytes = 0;
  const runTimes: CoordinatorFigures['runTimes'] = [];
  const handOvers: HandOver[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${id}'` })) {
    if (run.startTime.getTime() < sinceMs - 60_000) continue;
    runs++;
    runTimes.push({ start: run.startTime.getTime(), close: run.closeTime?.getTime() ?? null });
    const events = (await client.workflow.getHandle(id, run.runId).fetchHistory()).events ?? [];
    maxEventsPerRun = Math.max(maxEventsPerRun, events.length);
    const h = handOver(events);
    if (h) handOvers.push(h);
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    maxInputBytes = Math.max(
      maxInputBytes,
      input.reduce((n, p) => n + (p.data?.length ?? 0), 0),
    );
    const scheduled = new Map<number, number>();
    for (const e of events) {
      if (e.workflowTaskScheduledEventAttributes) scheduled.set(Number(e.eventId), tsToMs(e.eventTime));
      const done = e.workflowTaskCompletedEventAttributes;
      const at = done ? scheduled.get(Number(done.scheduledEventId)) : undefined;
      if (at !== undefined) latencies.push(tsToMs(e.eventTime) - at);
    }
  }
  return {
    runs,
    maxEventsPerRun,
    maxInputBytes,
    tasks: latencies.length,
    taskP50Ms: percentile(latencies, 50),
    taskP99Ms: percentile(latencies, 99),
    taskMaxMs: latencies.length ? Math.max(...latencies) : null,
    handOvers,
    runTimes: runTimes.sort((a, b) => a.start - b.start),
  };
}

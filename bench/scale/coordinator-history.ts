/**
 * The coordinator's own cost in a scale run, from its histories on the server: how many runs it
 * went through (continue-as-new), events per run, the largest state carried into a run (its input),
 * and its workflow tasks' latency from scheduled to completed.
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { coordinatorWorkflowId } from '../../src/model/names';
import { percentile } from './percentile';

export interface CoordinatorFigures {
  runs: number;
  maxEventsPerRun: number;
  maxInputBytes: number;
  tasks: number;
  taskP50Ms: number | null;
  taskP99Ms: number | null;
  taskMaxMs: number | null;
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
  for await (const run of client.workflow.list({ query: `WorkflowId = '${id}'` })) {
    if (run.startTime.getTime() < sinceMs - 60_000) continue;
    runs++;
    runTimes.push({ start: run.startTime.getTime(), close: run.closeTime?.getTime() ?? null });
    const events = (await client.workflow.getHandle(id, run.runId).fetchHistory()).events ?? [];
    maxEventsPerRun = Math.max(maxEventsPerRun, events.length);
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
    runTimes: runTimes.sort((a, b) => a.start - b.start),
  };
}

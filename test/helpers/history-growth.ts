/**
 * How much a workflow's history grew while one of its activities ran: the events between the
 * activity's ActivityTaskScheduled and the event that closed it (its own ActivityTaskStarted not
 * counted: the server writes it with the close), and the time between the two.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** `workflowExecutionSignaledEventAttributes` -> `workflowExecutionSignaled`. */
function kindOf(e: HistoryEvent): string {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof HistoryEvent]);
  return key ? key.replace(/EventAttributes$/, '') : 'unknown';
}

export interface ActivityWindow {
  activityType: string;
  /** Events written while the activity was scheduled or running, and what they were. */
  events: number;
  kinds: string[];
  ms: number;
  /** Events per minute while it ran. */
  perMinute: number;
}

function closedBy(e: HistoryEvent): number | null {
  const a =
    e.activityTaskCompletedEventAttributes ??
    e.activityTaskFailedEventAttributes ??
    e.activityTaskTimedOutEventAttributes ??
    e.activityTaskCanceledEventAttributes;
  return a?.scheduledEventId != null ? Number(a.scheduledEventId) : null;
}

/** Every window of an activity of type `activityType` in `events` that has closed. */
export function activityWindows(events: HistoryEvent[], activityType: string): ActivityWindow[] {
  const windows: ActivityWindow[] = [];
  events.forEach((e, i) => {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name !== activityType) return;
    const id = Number(e.eventId);
    const end = events.findIndex((x) => closedBy(x) === id);
    if (end < 0) return;
    const between = events
      .slice(i + 1, end)
      .filter((x) => Number(x.activityTaskStartedEventAttributes?.scheduledEventId ?? -1) !== id);
    const ms = tsToMs(events[end].eventTime) - tsToMs(e.eventTime);
    windows.push({
      activityType,
      events: between.length,
      kinds: between.map(kindOf),
      ms,
      perMinute: (between.length * 60_000) / Math.max(ms, 1),
    });
  });
  return windows;
}

/** The workflow's whole history. */
export async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

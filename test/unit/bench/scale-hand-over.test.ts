import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { handOver } from '../../../bench/scale/coordinator-history';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

/** A run of `n` events, one every 100 ms; `at` sets what the event with that ID is. */
function run(n: number, at: Record<number, Partial<HistoryEvent>>): HistoryEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: i + 1,
    eventTime: msToTs(1_800_000_000_000 + i * 100),
    ...at[i + 1],
  })) as HistoryEvent[];
}

const started = { workflowTaskStartedEventAttributes: {} };
const refused = { workflowTaskFailedEventAttributes: { cause: 1 } };
const timedOutTask = { workflowTaskFailedEventAttributes: { cause: 2 } };
const continued = { workflowExecutionContinuedAsNewEventAttributes: {} };

test("a run's hand-over runs from its first task started at the bound to its close, counting refused tries", () => {
  // due at event 12 (a task started at the bound of 10 or after), closed at event 30
  const events = run(30, { 5: started, 12: started, 15: refused, 20: refused, 22: timedOutTask, 30: continued });
  const h = handOver(events, 10);
  assert.deepEqual({ ms: h?.ms, refusedTries: h?.refusedTries }, { ms: 1800, refusedTries: 2 });
  assert.equal(h?.steps.length, 18, 'a line for each event after due');
  // a task started before the bound does not count as due
  const late = handOver(run(30, { 9: started, 25: started, 30: continued }), 10);
  assert.deepEqual({ ms: late?.ms, refusedTries: late?.refusedTries }, { ms: 500, refusedTries: 0 });
});

test("a hand-over's steps say when each event came after due, its type and what it names", () => {
  const events = run(6, {
    2: { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflowTaskStartedEventAttributes: {} },
    3: {
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      activityTaskScheduledEventAttributes: { activityType: { name: 'recordEvents' } },
    },
    4: {
      eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      workflowExecutionSignaledEventAttributes: { signalName: 'hostReport' },
    },
    6: { eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, ...continued },
  });
  assert.deepEqual(handOver(events, 2)?.steps, [
    '+100 ACTIVITY_TASK_SCHEDULED recordEvents',
    '+200 WORKFLOW_EXECUTION_SIGNALED hostReport',
    '+300 UNSPECIFIED',
    '+400 WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  ]);
});

test('a run that did not continue as new, or never reached its bound, has no hand-over', () => {
  assert.equal(handOver(run(30, { 12: started }), 10), null, 'still running');
  assert.equal(handOver(run(8, { 3: started, 8: continued }), 10), null, 'continued before its bound');
});

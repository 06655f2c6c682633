import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { handOver } from '../../../bench/scale/coordinator-history';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

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
  assert.deepEqual(handOver(events, 10), { ms: 1800, refusedTries: 2 });
  // a task started before the bound does not count as due
  assert.deepEqual(handOver(run(30, { 9: started, 25: started, 30: continued }), 10), { ms: 500, refusedTries: 0 });
});

test('a run that did not continue as new, or never reached its bound, has no hand-over', () => {
  assert.equal(handOver(run(30, { 12: started }), 10), null, 'still running');
  assert.equal(handOver(run(8, { 3: started, 8: continued }), 10), null, 'continued before its bound');
});

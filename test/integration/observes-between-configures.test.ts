/**
 * The coordinator asks its cluster service (the observeHost local activity) only while no
 * configure is being applied (patch coordinator-observes-between-configures). Its first
 * observation used to run beside the configure the nodes start it with (update-with-start), and
 * when the SDK delivered that local activity's result a task later than its history recorded, the
 * history no longer replayed: the next node to take the coordinator over failed its every task as
 * nondeterministic (CI, frozen-node.test). Against a dev server and the three node processes (which
 * start the coordinator without a configure), two configures sent at once as `baton apply` sends
 * one (update-with-start) while the coordinator opens: no observation is recorded between a
 * configure's acceptance and its completion, and the coordinator's history replays.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { ensureCoordinator } from '../../src/client/coordinator-client';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { WORKFLOW_BUNDLE_PATH } from '../../src/workers/workflow-bundle';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const eventId = (e: HistoryEvent | undefined) => Number(e?.eventId ?? 0);

/** Each configure update's accepted and completed event IDs (completed 0 while it runs). */
function configures(events: HistoryEvent[]): { accepted: number; completed: number }[] {
  return events
    .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'configure')
    .map((e) => {
      const id = e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId;
      const done = events.find((d) => d.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === id);
      return { accepted: eventId(e), completed: eventId(done) };
    });
}

const observations = (events: HistoryEvent[]) =>
  events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').map(eventId);

describe('observations and configures', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster();
  });
  after(async () => c?.stop());

  test('no observation runs while a configure is applied, and the history replays', async () => {
    await Promise.all([ensureCoordinator(c.client, c.config), ensureCoordinator(c.client, c.config)]);
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    const history = await waitFor('three observations after the last configure', async () => {
      const h = await handle.fetchHistory();
      const events = h.events ?? [];
      const applied = configures(events);
      const last = Math.max(...applied.map((a) => a.completed));
      return applied.every((a) => a.completed > 0) && observations(events).filter((o) => o > last).length >= 3 && h;
    });
    const events = history.events ?? [];
    const applied = configures(events);
    assert.equal(applied.length, 2, `the test's configures: ${JSON.stringify(applied)}`);
    for (const { accepted, completed } of applied) {
      const during = observations(events).filter((o) => o > accepted && o < completed);
      assert.deepEqual(during, [], `observations recorded while the configure of events ${accepted}-${completed} ran`);
    }
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history, handle.workflowId);
  });
});

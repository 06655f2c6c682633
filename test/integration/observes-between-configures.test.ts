/**
 * The coordinator asks its cluster service (the observeHost local activity) only while no
 * configure is being applied (patch coordinator-observes-between-configures). Its first
 * observation used to run beside the configure it was started with (update-with-start), and when
 * the SDK delivered that local activity's result a task later than its history recorded, the
 * history no longer replayed: the next node to take the coordinator over failed its every task as
 * nondeterministic (CI, frozen-node.test). Against a dev server: two configures sent at once as
 * `baton apply` sends one, the first starting the coordinator before any node polls (so both come
 * in its first workflow task, beside its opening savePlan and syncSchedules), then the three node
 * processes: no observation is recorded between a configure's acceptance and its completion, and
 * the coordinator's history replays. Without the patch the first observation lands inside the
 * configures (in 4 of 5 runs here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { ensureCoordinator } from '../../src/client/coordinator-client';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { WORKFLOW_BUNDLE_PATH } from '../../src/workers/workflow-bundle';
import { configureSpans, observationsAt, observationsDuringConfigures } from '../helpers/configure-observations';
import { nodeReady, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

describe('observations and configures', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  let nodes: NodeProcess[] = [];
  before(async () => {
    c = await startLocalCluster({ nodes: false });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => stopNodeProcess(n, c.dir)));
    await c?.stop();
  });

  test('no observation runs while a configure is applied, and the history replays', async () => {
    // update-with-start returns once a worker took the update: no node polls yet
    const configured = Promise.all([ensureCoordinator(c.client, c.config), ensureCoordinator(c.client, c.config)]);
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    await waitFor('the coordinator started', () =>
      handle.describe().then(
        () => true,
        () => false,
      ),
    );
    nodes = c.config.plan.nodes.map((n) => startNodeProcess(n.name, c.files.configFile, c.dir));
    await Promise.all(nodes.map((n) => nodeReady(n)));
    await configured;

    const history = await waitFor('three observations after the last configure', async () => {
      const h = await handle.fetchHistory();
      const events = h.events ?? [];
      const spans = configureSpans(events);
      const last = Math.max(...spans.map((a) => a.completed));
      return spans.every((a) => a.completed >= 0) && observationsAt(events).filter((o) => o > last).length >= 3 && h;
    });
    const events = history.events ?? [];
    assert.equal(configureSpans(events).length, 2, `the test's configures: ${JSON.stringify(configureSpans(events))}`);
    assert.ok(
      configureSpans(events)[0].accepted < observationsAt(events)[0],
      'a configure came before any observation',
    );
    assert.deepEqual(observationsDuringConfigures(events), [], 'observations recorded while a configure ran');
    await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history, handle.workflowId);
  });
});

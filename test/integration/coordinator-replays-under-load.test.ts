/**
 * Every run of a loaded coordinator replays, as on the node that takes it over after its host
 * dies. Against a dev server: two configures sent at once as `baton apply` sends one, the first
 * starting the coordinator before any node polls (both come in its first workflow task, beside its
 * opening savePlan and syncSchedules: CI's frozen-node.test once left a coordinator stuck there),
 * then the three node processes, then 20 s of a backup request every 200 ms while a client asks
 * the coordinator's status every 5 ms; then each of its runs (it continues as new every 300
 * events) is replayed against today's bundle. Before the coordinator heard its host by signal
 * (patch coordinator-hears-host-by-signal), a local activity's result that the SDK delivered a task
 * late under the queries left 22-45 % of such runs unreplayable (docs/development.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator } from '../../src/client/coordinator-client';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { stressCoordinator } from '../helpers/coordinator-stress';
import { nodeReady, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { replayLiveHistories } from '../helpers/replay-live';
import { secondNodeSkip } from '../helpers/first-node';

const STRESS_MS = 20_000;
/** src/workflows/coordinator.ts's COORDINATOR_HEARS_HOST_BY_SIGNAL (a workflow module: not imported here). */
const COORDINATOR_HEARS_HOST_BY_SIGNAL = 'coordinator-hears-host-by-signal';

describe('a coordinator under load', { timeout: 240_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  let nodes: NodeProcess[] = [];
  before(async () => {
    c = await startLocalCluster({ nodes: false });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => stopNodeProcess(n, c.dir)));
    await c?.stop();
  });

  test('hears its host by signal, and every run replays after backups and queries', async () => {
    const workflowId = coordinatorWorkflowId(c.config.cluster);
    // update-with-start returns once a worker took the update: no node polls yet
    const configured = Promise.all([ensureCoordinator(c.client, c.config), ensureCoordinator(c.client, c.config)]);
    const handle = c.client.workflow.getHandle(workflowId);
    await waitFor('the coordinator started', () =>
      handle.describe().then(
        () => true,
        () => false,
      ),
    );
    const firstRun = (await handle.describe()).runId;
    nodes = c.config.plan.nodes.map((n) => startNodeProcess(n.name, c.files.configFile, c.dir));
    await Promise.all(nodes.map((n) => nodeReady(n)));
    await configured;

    const apps = c.config.plan.apps.map((a) => a.name);
    const { requests, refused } = await stressCoordinator(c.client, c.config.cluster, apps, STRESS_MS, {
      queries: true,
    });
    assert.ok(requests - refused > 10, `backups started: ${requests - refused} of ${requests} requests`);

    const first = (await c.client.workflow.getHandle(workflowId, firstRun).fetchHistory()).events ?? [];
    const patch = first.findIndex((e) =>
      Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) =>
        (d.payloads ?? []).some((p) =>
          Buffer.from(p.data ?? [])
            .toString()
            .includes(COORDINATOR_HEARS_HOST_BY_SIGNAL),
        ),
      ),
    );
    assert.ok(patch >= 0, `the patch marker ${COORDINATOR_HEARS_HOST_BY_SIGNAL}`);
    const reports = first.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hostReport');
    assert.ok(reports.length > 0, 'a hostReport signal in the first run');

    const { replayed, failures } = await replayLiveHistories(c.address, c.config.temporal.namespace, {
      query: `WorkflowId = '${workflowId}'`,
    });
    assert.ok(replayed >= 2, `runs of the coordinator: ${replayed} (it continues as new every 300 events)`);
    assert.deepEqual(failures, [], `${failures.length} of ${replayed} runs do not replay`);
  });
});

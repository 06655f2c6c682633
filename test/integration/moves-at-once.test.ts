/**
 * Two apps that fail over in one observation: the coordinator tells both running jobs in the same
 * workflow task (patch coordinator-reports-moves-at-once), not one move's catalog round trip after
 * the other, and both backups end on the node they moved to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attemptsOf } from '../../src/catalog/attempts';
import { followJob, requestBackup } from '../../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP, DEMO_APP_HOST, DEMO_NODES, DRILL_APP, DRILL_APP_HOST } from '../../src/demo/demo-files';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

describe('app moves of one observation', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    // the sample app read at 1 MiB/s, so both backups are still running when their apps move
    c = await startLocalCluster({ demo: { appBandwidthLimit: 1024 * 1024 } });
  });
  after(async () => c?.stop());

  test('are told to their running jobs in one workflow task', async () => {
    const target = DEMO_NODES.find((n) => n !== DEMO_APP_HOST && n !== DRILL_APP_HOST);
    assert.ok(target);
    const jobs = await Promise.all(
      [DEMO_APP, DRILL_APP].map((app) => requestBackup(c.client, 'demo', app, 'test', true)),
    );
    await waitFor('both backups running', async () => {
      const attempts = await Promise.all(jobs.map((j) => attemptsOf(c.catalog, j.jobId)));
      return attempts.every((a) => a.length === 1 && a[0]?.ended_at === null);
    });

    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = target;
    map.apps[DRILL_APP] = target;
    writeStaticMap(c.files.mapFile, map);

    const handle = c.client.workflow.getHandle(coordinatorWorkflowId('demo'));
    const toldIn = await waitFor('both jobs told of their move', async () => {
      const history = await handle.fetchHistory();
      const tasks = jobs.map((j) =>
        history.events
          ?.find(
            (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowExecution?.workflowId === j.jobId,
          )
          ?.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId?.toString(),
      );
      return tasks.every((t) => t !== undefined) && tasks;
    });
    assert.equal(toldIn[1], toldIn[0], 'both moves were told from the same workflow task');

    for (const j of jobs) {
      assert.equal((await followJob(c.client, j.jobId, () => undefined, 500)).state, 'succeeded');
      const attempts = await attemptsOf(c.catalog, j.jobId);
      assert.equal(attempts.at(-1)?.node, target, `${j.jobId} ended on the node its app moved to`);
      assert.equal(attempts[0]?.outcome, 'moved');
    }
  });
});

/**
 * The coordinator continues as new when the server suggests it (threshold lowered to a few dozen
 * events here), carries its whole state over, and does not kill the jobs it started.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { DRILL_APP } from '../../src/demo/demo-files';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

describe('coordinator continue-as-new', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  });
  after(async () => c?.stop());

  test('state and running jobs survive continue-as-new', async () => {
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    const firstRun = (await handle.describe()).runId;
    const started = await requestBackup(c.client, c.config.cluster, DRILL_APP, 'test');
    let status = await coordinatorStatus(c.client, c.config.cluster);
    assert.deepEqual(
      status.running.map((j) => j.jobId),
      [started.jobId],
    );

    const run = await waitFor('the coordinator to continue as new', async () => {
      const current = (await handle.describe()).runId;
      return current !== firstRun && current;
    });
    assert.notEqual(run, firstRun);
    const old = await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster), firstRun).describe();
    assert.equal(old.status.name, 'CONTINUED_AS_NEW');

    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', 'the job outlived the run that started it');
    status = await waitFor(
      'the new run to hear the job finish',
      async () => {
        const now = await coordinatorStatus(c.client, c.config.cluster);
        return now.recent.some((j) => j.jobId === started.jobId) && now;
      },
      10_000,
    );
    assert.equal(status.running.length, 0);
    assert.equal(status.recent[0]?.jobId, started.jobId, 'the new run heard the job finish');
    assert.equal(status.plan.apps.length, 2, 'the plan carried over');
    assert.ok(status.host, 'the host carried over');
  });
});

/**
 * A rolling upgrade with Temporal Worker Versioning (docs/upgrades.md), on one real dev server:
 * build 1's three node processes (the default build ID, <version>-<bundle hash>) run a backup
 * slowed by the app's bandwidth limit; build 2's three processes (same node names, same code,
 * temporal.deployment.buildId b2) come up inactive beside them; `baton upgrade --build-id b2`
 * makes b2 current; a second backup starts. The workflow task completed events name the build
 * that ran each task: the first job ran on build 1 only and finished, the second on b2 only, the
 * coordinator (AUTO_UPGRADE) moved to b2, and both jobs are in the catalog, succeeded. Then build
 * 1's nodes stop and the coordinator still answers, from b2.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { recentJobs } from '../../src/catalog/jobs';
import { DEMO_APP, DEMO_NODES, DRILL_APP } from '../../src/demo/demo-files';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { coordinatorWorkflowId } from '../../src/model/names';
import { deploymentVersion } from '../../src/workers/deployment';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { secondNodeSkip } from '../helpers/first-node';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

/** 10 MiB of sample-db at 400 KiB/s: about 25 s, long enough to upgrade under it. */
const APP = { appFiles: 40, appFileKiB: 256, appBandwidthLimit: 400 * 1024 };

/** The build ID of every workflow task completed in the workflow's (latest run's) history. */
async function taskBuilds(c: LocalCluster, workflowId: string): Promise<string[]> {
  const { events } = await c.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).flatMap((e) => {
    const done = e.workflowTaskCompletedEventAttributes;
    return done ? [done.deploymentVersion?.buildId ?? 'unversioned'] : [];
  });
}

describe('a rolling upgrade with Worker Versioning', { timeout: 240_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  const b2: NodeProcess[] = [];
  const b2Dir = () => join(c.dir, 'b2');

  before(async () => {
    c = await startLocalCluster({ demo: APP, versioned: true });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => {
    await Promise.all(b2.map((p) => stopNodeProcess(p, b2Dir())));
    await c?.stop();
  });

  test('a job started on build 1 finishes there, new work and the coordinator move to b2, no job is lost', async () => {
    const b1 = deploymentVersion(c.config).buildId;
    const first = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test', true);

    const configB2 = join(c.dir, 'baton-b2.yaml');
    const yaml = readFileSync(c.files.configFile, 'utf8');
    writeFileSync(configB2, yaml.replace('  deployment: {}\n', '  deployment:\n    buildId: b2\n'));
    mkdirSync(b2Dir(), { recursive: true });
    for (const node of DEMO_NODES) b2.push(startNodeProcess(node, configB2, b2Dir()));
    const upgraded = baton(['upgrade', '--build-id', 'b2', '--config', configB2]);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.match(upgraded.stdout, new RegExp(`build b2 is current \\(was ${b1};`));
    const view = await c.client.workflow.getHandle(first.jobId).describe();
    assert.equal(view.status.name, 'RUNNING', 'the first backup still runs when b2 becomes current');

    const second = await requestBackup(c.client, c.config.cluster, DRILL_APP, 'test', true);
    const [r1, r2] = await Promise.all([
      followJob(c.client, first.jobId, () => undefined, 500),
      followJob(c.client, second.jobId, () => undefined, 500),
    ]);
    assert.equal(r1.state, 'succeeded', r1.error);
    assert.equal(r2.state, 'succeeded', r2.error);

    const builds1 = await taskBuilds(c, first.jobId);
    assert.deepEqual([...new Set(builds1)], [b1], `first job's tasks: ${builds1.join(' ')}`);
    const builds2 = await taskBuilds(c, second.jobId);
    assert.deepEqual([...new Set(builds2)], ['b2'], `second job's tasks: ${builds2.join(' ')}`);
    const coordinator = await waitFor('the coordinator to run on b2', async () => {
      const builds = await taskBuilds(c, coordinatorWorkflowId(c.config.cluster));
      return builds.at(-1) === 'b2' && builds;
    });
    const firstB2 = coordinator.indexOf('b2');
    assert.ok(!coordinator.slice(firstB2).includes(b1), `coordinator's tasks: ${coordinator.join(' ')}`);

    const jobs = await recentJobs(c.catalog, 20);
    for (const id of [first.jobId, second.jobId]) {
      assert.equal(jobs.find((j) => j.id === id)?.state, 'succeeded', `${id} in the catalog`);
    }

    await Promise.all(c.nodes.map((p) => stopNodeProcess(p, c.dir)));
    const status = await coordinatorStatus(c.client, c.config.cluster);
    assert.equal(status.plan.nodes.length, DEMO_NODES.length, 'the coordinator answers from b2');
  });
});

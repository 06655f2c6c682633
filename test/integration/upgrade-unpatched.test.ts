/**
 * An upgrade whose coordinator change escaped `patched()`, live (docs/upgrades.md, "A coordinator
 * the new build cannot replay"): a versioned cluster on build 1 runs its coordinator and a slowed
 * backup; build b2's three node processes (the same code but a timer added to the coordinator
 * without a patch: test/replay/fixtures/workflows-coordinator-timer-added.ts, bundled into a copy
 * of the built CLI) come up inactive; `baton upgrade --build-id b2` makes b2 current. The
 * coordinator (AUTO_UPGRADE) moves to b2 at its next task and fails replay there on every try.
 * `baton status` and `baton status --json` name the stuck coordinator, the build that fails it
 * (b2), the build it last ran on and the advised way out; running that advice as printed (roll
 * back to build 1 with `baton upgrade`) brings it back: it answers again, on build 1, the same
 * run or its continuation, never terminated; the backup pinned to build 1 finishes, and the coordinator hears its end: no job lost.
 * (The advice was a pin, `temporal workflow update-options --versioning-override-behavior pinned`
 * to build 1: tried here, the server kept handing the task to b2 for 30 s and more.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { getJob } from '../../src/catalog/jobs';
import { DEMO_APP, DEMO_NODES } from '../../src/demo/demo-files';
import { stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { coordinatorWorkflowId } from '../../src/model/names';
import { deploymentVersion } from '../../src/workers/deployment';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { secondNodeSkip } from '../helpers/first-node';
import { nodeReady, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { otherBuild } from '../helpers/other-build';

/**
 * 10 MiB of sample-db at 128 KiB/s: about 80 s, still running when `baton status` reports (33 s
 * after the backup started on a quiet machine: at 400 KiB/s it had ended, and status listed no job).
 */
const APP = { appFiles: 40, appFileKiB: 256, appBandwidthLimit: 128 * 1024 };

interface StuckJson {
  cluster: string;
  stuckCoordinator: {
    workflowId: string;
    cause: string;
    failingBuild: { buildId: string } | null;
    lastBuild: { deploymentName: string; buildId: string } | null;
    runningJobs: string[];
    advice: string;
  } | null;
  recentJobs: { id: string; state: string }[];
}

describe('an upgrade whose coordinator change is not patched', { timeout: 240_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  const b2: NodeProcess[] = [];
  const b2Dir = () => join(c.dir, 'b2');

  before(async () => {
    c = await startLocalCluster({ demo: APP, versioned: true });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    const build = await otherBuild(
      join(c.dir, 'build-2'),
      require.resolve('../replay/fixtures/workflows-coordinator-timer-added'),
    );
    const configB2 = join(c.dir, 'baton-b2.yaml');
    const yaml = readFileSync(c.files.configFile, 'utf8');
    writeFileSync(configB2, yaml.replace('  deployment: {}\n', '  deployment:\n    buildId: b2\n'));
    for (const node of DEMO_NODES) b2.push(build.startNode(node, configB2, b2Dir()));
    await Promise.all(b2.map((p) => nodeReady(p)));
  });
  after(async () => {
    await Promise.all(b2.map((p) => stopNodeProcess(p, b2Dir())));
    await c?.stop();
  });

  test('status names it, the failing build and the rollback to build 1, which brings it back with its job', async () => {
    const { cluster } = c.config;
    const b1 = deploymentVersion(c.config);
    const id = coordinatorWorkflowId(cluster);
    const handle = c.client.workflow.getHandle(id);
    const { runId } = await handle.describe();
    const job = await requestBackup(c.client, cluster, DEMO_APP, 'test', true);

    const upgraded = baton(['upgrade', '--build-id', 'b2', '--config', c.files.configFile]);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    await waitFor(
      'the coordinator to fail its task on b2',
      async () => ((await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 2,
      30_000,
    );

    const text = baton(['status', '--config', c.files.configFile]);
    assert.equal(text.code, 1, text.stdout);
    assert.equal(text.stdout, '');
    const line = text.stderr.trimEnd();
    assert.doesNotMatch(line, /\n/, 'one line');
    assert.match(line, new RegExp(`^baton: the coordinator of cluster ${cluster} \\(workflow ${id}\\) is stuck: `));
    assert.match(
      line,
      /fails on every try \(NON_DETERMINISTIC_ERROR: \[TMPRL1100\] .*; try \d+, on node-\d@\S+ of build b2\)/,
    );
    assert.ok(line.includes(`build b2 cannot replay the history build ${b1.buildId} made`), line);
    assert.ok(line.includes(`Do not terminate it, which would orphan its 1 running job(s) (${job.jobId})`), line);

    const json = baton(['status', '--json', '--config', c.files.configFile]);
    assert.equal(json.code, 1, json.stderr);
    const status = JSON.parse(json.stdout) as StuckJson;
    const stuck = status.stuckCoordinator;
    assert.ok(stuck, json.stdout);
    assert.equal(stuck.workflowId, id);
    assert.equal(stuck.cause, 'NON_DETERMINISTIC_ERROR');
    assert.equal(stuck.failingBuild?.buildId, 'b2');
    assert.deepEqual(stuck.lastBuild, b1);
    assert.deepEqual(stuck.runningJobs, [job.jobId]);
    assert.equal(status.recentJobs.find((j) => j.id === job.jobId)?.state, 'running');
    assert.ok(line.endsWith(stuck.advice), 'the same advice in both');

    // the way out, run as printed
    const rollBack = /`baton (upgrade --build-id \S+)`/.exec(stuck.advice)?.[1];
    assert.equal(rollBack, `upgrade --build-id ${b1.buildId}`, stuck.advice);
    const rolledBack = baton([...rollBack.split(' '), '--config', c.files.configFile]);
    assert.equal(rolledBack.code, 0, rolledBack.stderr);

    const back = await waitFor(
      'the coordinator to answer again',
      () => coordinatorStatus(c.client, cluster, 0).catch(() => null),
      30_000,
    );
    assert.ok(
      back.running.some((j) => j.jobId === job.jobId) || back.recent.some((j) => j.jobId === job.jobId),
      'it still tracks the job',
    );
    const result = await followJob(c.client, job.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    assert.equal((await getJob(c.catalog, job.jobId))?.state, 'succeeded');
    await waitFor('the coordinator to hear the job end', async () => {
      const s = await coordinatorStatus(c.client, cluster);
      return !s.running.some((j) => j.jobId === job.jobId) && s.recent.some((j) => j.jobId === job.jobId);
    });
    const d = await handle.describe();
    // never terminated: the same run, or (runs continue as new every 300 events) its successor
    const first = await c.client.workflow.getHandle(id, runId).describe();
    assert.ok(
      d.runId === runId || first.status.name === 'CONTINUED_AS_NEW',
      `the first run ended ${first.status.name}, not continued as new`,
    );
    assert.equal(d.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId, b1.buildId);
    const after = baton(['status', '--json', '--config', c.files.configFile]);
    assert.equal(after.code, 0, after.stderr);
    assert.equal((JSON.parse(after.stdout) as StuckJson).stuckCoordinator, null);
  });
});

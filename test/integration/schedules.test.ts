/**
 * Per-app Temporal Schedules on a real server: the coordinator creates them from its plan, each
 * scheduled run backs the app up on its current host and ends as its backup did, and
 * `baton schedules` says which node runs next and how the last run went. Each fires at its own
 * offset within its interval (schedule-offset.ts), as Temporal's spec and the next runs show; apps
 * sharing a cron time with a jitter are spread over it by the server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator } from '../../src/client/coordinator-client';
import { recentJobs } from '../../src/catalog/jobs';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP, DEMO_CLUSTER } from '../../src/demo/demo-files';
import { BATON_BIN } from '../../src/demo/node-processes';
import { scheduleId } from '../../src/model/names';
import { scheduleOffsetSeconds } from '../../src/model/schedule-offset';
import { scheduleSpec } from '../../src/activities/schedule-sync';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

/** The demo app's schedule's second within its 4 s interval. */
const OFFSET_S =
  scheduleOffsetSeconds(scheduleId(DEMO_CLUSTER, DEMO_APP), { everySeconds: 4, catchupWindowSeconds: 600 }) ?? 0;

describe('schedules on a real cluster', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster({ demo: { appSchedule: '{ every: 4s }' } });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => c?.stop());

  test('the coordinator creates the app’s schedule and its runs back up on the app’s current host', async () => {
    const description = await waitFor('the schedule', async () => {
      try {
        return await c.client.schedule.getHandle(scheduleId(c.config.cluster, DEMO_APP)).describe();
      } catch {
        return undefined;
      }
    });
    assert.equal(description.spec.intervals?.[0]?.every, 4000);
    // spread within the interval by the schedule's ID (schedule-offset.ts), not on the epoch's beat
    assert.equal(description.spec.intervals?.[0]?.offset ?? 0, OFFSET_S * 1000);
    const onNode2 = await waitFor('a scheduled backup on node-2', async () =>
      (await recentJobs(c.catalog, 20)).find((j) => j.requested_by.startsWith('schedule:') && j.state === 'succeeded'),
    );
    assert.equal(onNode2.node, 'node-2');
    const run = c.client.workflow.getHandle(onNode2.requested_by.slice('schedule:'.length));
    assert.deepEqual(await run.result(), { app: DEMO_APP, jobId: onNode2.id, state: 'succeeded' });
    assert.equal((await run.describe()).status.name, 'COMPLETED', 'a run whose backup succeeded succeeds');

    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = 'node-3';
    writeStaticMap(c.files.mapFile, map);
    await waitFor(
      'the coordinator to see the move',
      async () => (await coordinatorStatus(c.client, 'demo')).hosts[DEMO_APP] === 'node-3',
    );
    const movedAt = new Date().toISOString();
    const onNode3 = await waitFor('a scheduled backup on node-3', async () =>
      (await recentJobs(c.catalog, 20)).find(
        (j) => j.requested_by.startsWith('schedule:') && j.started_at > movedAt && j.state === 'succeeded',
      ),
    );
    assert.equal(onNode3.node, 'node-3');
    assert.equal(onNode3.drive, 'node-3-disk');
  });

  test('baton schedules tells which node will run each app’s next backup', () => {
    const r = spawnSync(process.execPath, [BATON_BIN, 'schedules', '--json', '--config', c.files.configFile], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { app: string; node: string; nextRuns: string[]; schedule: string }[];
    assert.deepEqual(
      rows.map((row) => [row.app, row.node, row.schedule]),
      [[DEMO_APP, 'node-3', 'every 4s']],
    );
    assert.ok(rows[0].nextRuns.length > 0);
    assert.ok(Date.parse(rows[0].nextRuns[0]) > Date.now() - 5000);
    for (const at of rows[0].nextRuns) assert.equal((Date.parse(at) / 1000) % 4, OFFSET_S, `next run at ${at}`);
  });

  test('a scheduled run whose backup fails fails too, and `baton schedules` says so', async () => {
    // the app's data is gone: its next backup fails with AppDataMissing
    renameSync(c.files.appDir, `${c.files.appDir}.gone`);
    const schedule = c.client.schedule.getHandle(scheduleId(c.config.cluster, DEMO_APP));
    const failed = await waitFor('a failed scheduled run', async () => {
      for (const action of (await schedule.describe()).info.recentActions) {
        const { workflowId, firstExecutionRunId } = action.action.workflow;
        const run = await c.client.workflow.getHandle(workflowId, firstExecutionRunId).describe();
        if (run.status.name === 'FAILED') return run;
      }
      return undefined;
    });
    await schedule.pause('test: the last run stays the last');
    const job = (await recentJobs(c.catalog, 50)).find((j) => j.requested_by === `schedule:${failed.workflowId}`);
    assert.equal(job?.state, 'failed');
    const runError = await c.client.workflow
      .getHandle(failed.workflowId, failed.runId)
      .result()
      .then(
        () => assert.fail('the run succeeded'),
        (err: Error & { cause?: Error }) => err.cause?.message ?? '',
      );
    assert.match(runError, new RegExp(`backup of ${DEMO_APP} failed: .*${job?.id}`));

    // the last run (any still running when paused ends failed too)
    const rows = await waitFor(
      'the last run to end',
      () => {
        const r = spawnSync(process.execPath, [BATON_BIN, 'schedules', '--json', '--config', c.files.configFile], {
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, r.stderr);
        const parsed = JSON.parse(r.stdout) as {
          app: string;
          lastRunState: string;
          lastRunError: string;
          paused: boolean;
        }[];
        return parsed[0]?.lastRunState === 'running' ? undefined : parsed;
      },
      60_000,
      1000,
    );
    assert.equal(rows[0].app, DEMO_APP);
    assert.equal(rows[0].paused, true);
    assert.equal(rows[0].lastRunState, 'failed');
    assert.match(rows[0].lastRunError, new RegExp(`backup of ${DEMO_APP} failed`));

    const table = spawnSync(process.execPath, [BATON_BIN, 'schedules', '--config', c.files.configFile], {
      encoding: 'utf8',
    });
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`${DEMO_APP} .* failed: backup of ${DEMO_APP} failed`));
  });

  test('apps sharing a cron time with a jitter get their own times within it, from the server', async () => {
    // Baton's spec on this server, paused (nothing runs): Temporal hashes each time with the schedule
    const schedule = { cron: '0 2 * * *', jitterSeconds: 3600, catchupWindowSeconds: 600 };
    const ids = Array.from({ length: 8 }, (_, i) => scheduleId('jitter-test', `app-${i}`));
    const handles = await Promise.all(
      ids.map((id) =>
        c.client.schedule.create({
          scheduleId: id,
          spec: scheduleSpec(id, schedule),
          action: { type: 'startWorkflow', workflowType: 'none', taskQueue: 'jitter-test-nobody', args: [] },
          state: { paused: true },
        }),
      ),
    );
    try {
      const firsts = await Promise.all(handles.map(async (h) => (await h.describe()).info.nextActionTimes[0]));
      for (const t of firsts) {
        assert.equal(t.getUTCHours(), 2, `${t.toISOString()} is within the hour after 02:00`);
      }
      const seconds = new Set(firsts.map((t) => t.getTime()));
      assert.ok(
        seconds.size >= 6,
        `8 schedules at ${seconds.size} distinct times: ${firsts.map((t) => t.toISOString()).join(', ')}`,
      );
    } finally {
      await Promise.all(handles.map((h) => h.delete()));
    }
  });
});

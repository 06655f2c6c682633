/**
 * More apps' scheduled runs at once than the coordinator queue has activity slots, as when many
 * apps share one cron time: every run must still back its app up. A run asks the coordinator for
 * its backup and waits for the job's end, each in an activity, and the job reports its end to the
 * coordinator in one; on the coordinator queue those waits held every slot, and the activities the
 * coordinator and the jobs needed there to answer them (the app's host, the catalog's records)
 * queued behind them for good (bench:scale, 300 apps on one cron time against 100 slots: 30
 * backups done, then nothing). They now have a queue of their own (names.ts waitQueue).
 *
 * The cluster is bench:scale's (plan.ts, worker-process.ts): the real coordinator, job and
 * scheduled-run workflows and coordinator-queue activities, stand-in backups on the node queues,
 * a dev server; its coordinator-queue worker takes 2 activities at once instead of the SDK's 100.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { ensureCoordinator } from '../../src/client/coordinator-client';
import { loadConfig } from '../../src/config/load';
import { startDevServer, type DevServer } from '../../src/devtools/dev-server';
import { scheduleId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { writeScalePlan, type ScalePlan } from '../../bench/scale/plan';
import { schedulesCreated } from '../../bench/scale/scheduled-burst';

const WORKER = resolve(__dirname, '..', '..', 'bench', 'scale', 'worker-process.js');
const SLOTS = 2;
const APPS = 6;
/** Each stand-in backup's length: long enough for a second request to find the first's job running. */
const BACKUP_MS = 3000;

describe('apps sharing a cron time, more than the coordinator queue has slots', { timeout: 180_000 }, () => {
  let dir: string;
  let server: DevServer;
  let plan: ScalePlan;
  let worker: ChildProcess;
  let connection: Connection;
  let client: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-crowded-'));
    server = await startDevServer({ dataDir: join(dir, 'temporal'), headless: true });
    // a cron time that does not come during the test: the runs are triggered, all at once
    plan = writeScalePlan(dir, {
      address: server.address,
      nodes: 2,
      apps: APPS,
      catalogUrl: 'sqlite:catalog.db',
      cron: '0 0 1 1 *',
    });
    worker = spawn(
      process.execPath,
      [WORKER, plan.configFile, join(dir, 'attempts.jsonl'), String(BACKUP_MS), '--coordinator', ...plan.nodes],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BATON_SCALE_COORDINATOR_SLOTS: String(SLOTS) } },
    );
    await new Promise<void>((ok, fail) => {
      worker.stdout?.on('data', (d: Buffer) => /ready:/.test(d.toString()) && ok());
      worker.once('exit', (code) => fail(new Error(`the worker process exited ${code} before it was ready`)));
    });
    connection = await Connection.connect({ address: server.address });
    const config = loadConfig(plan.configFile);
    client = new Client({ connection, namespace: config.temporal.namespace });
    await ensureCoordinator(client, config, { tickSeconds: 1 });
    await schedulesCreated(client, config.cluster, APPS, Date.now() + 60_000);
  });

  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      // a worker whose waits never end (the failure this tests) never finishes its graceful stop
      const killer = setTimeout(() => worker.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await connection?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${APPS} scheduled runs at once, ${SLOTS} coordinator-queue slots: every app is backed up`, async () => {
    const cluster = loadConfig(plan.configFile).cluster;
    const schedules = plan.apps.map((app) => client.schedule.getHandle(scheduleId(cluster, app)));
    await Promise.all(schedules.map((s) => s.trigger()));
    const completed = "WorkflowType = 'scheduledBackup' AND ExecutionStatus = 'Completed'";
    let ended = 0;
    const deadline = Date.now() + 90_000;
    while (ended < APPS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      ended = (await client.workflow.count(completed)).count;
    }
    assert.equal(ended, APPS, `${ended} of ${APPS} scheduled runs completed within 90 s`);
    for (const s of schedules) {
      const action = await waitFor('the run', async () => (await s.describe()).info.recentActions.at(-1)?.action);
      const run = client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
      const result = (await run.result()) as { jobId: string | null; state: string };
      assert.equal(result.state, 'succeeded', `${action.workflow.workflowId}: ${JSON.stringify(result)}`);
      assert.ok(result.jobId);
    }
  });
});

/**
 * End to end on a real Temporal dev server with three real node processes: the coordinator sends
 * a backup to the node the cluster map puts the app on, the job writes that node's drive, the
 * catalog and search attributes say so, and the CLI refuses bad requests without changing anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator, followJob, requestBackup, coordinatorStatus } from '../../src/client/coordinator-client';
import { getJob, jobEvents, recentJobs } from '../../src/catalog/jobs';
import { DEMO_APP, DEMO_APP_HOST, DRILL_APP, DRILL_APP_HOST } from '../../src/demo/demo-files';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { freePort } from '../../src/devtools/dev-server';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { baton } from '../helpers/cli';
import { answerIndex } from '../helpers/update-answers';
import { restoreSnapshot } from '../helpers/restore';
import { compareTrees } from '../helpers/tree';
import { summaryLine } from '../helpers/json-lines';
import { coordinatorWorkflowId } from '../../src/model/names';
import { UPDATES_PER_PROCESS } from '../../src/client/update-admission';
import { burstFromProcesses } from '../helpers/update-burst';

describe('backup on a real cluster', { timeout: 240_000 }, () => {
  let c: LocalCluster;
  let firstJob: string;

  before(async () => {
    c = await startLocalCluster();
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => c?.stop());
  /** the updates the dev server has aborted so far (its log's lines) */
  const abortedUpdates = () =>
    (readFileSync(c.server?.logFile ?? '', 'utf8').match(/update was aborted/gi) ?? []).length;

  test('the coordinator backs the app up on its host node, to that node’s drive', async () => {
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
    firstJob = started.jobId;
    assert.equal(started.node, DEMO_APP_HOST);
    assert.equal(started.drive, `${DEMO_APP_HOST}-disk`);
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded');
    assert.equal(result.node, DEMO_APP_HOST);
    assert.equal(result.outcome?.drive, join(c.dir, 'drives', `${DEMO_APP_HOST}-disk`));
    assert.equal(result.outcome?.incomplete, false);
    const restored = await restoreSnapshot(c.config, result.outcome);
    assert.deepEqual(compareTrees(c.files.appDir, restored), []);

    const row = await getJob(c.catalog, started.jobId);
    assert.equal(row?.state, 'succeeded');
    assert.equal(row?.node, DEMO_APP_HOST);
    assert.deepEqual(
      (await jobEvents(c.catalog, started.jobId)).map((e) => e.kind),
      // the first backup to the demo's drive initialises it (initOnFirstBackup), and says so; the
      // attempt records its commit before it returns (docs/restart-policy.md: a committed attempt wins)
      ['job-started', 'attempt-started', 'drive-initialised', 'attempt-committed', 'attempt-ended', 'job-succeeded'],
    );
  });

  test('the job carries a summary and search attributes the Web UI and `temporal workflow list` use', async () => {
    const description = await c.client.workflow.getHandle(firstJob).describe();
    assert.equal(await description.staticSummary(), `Backup of app ${DEMO_APP} (cluster demo)`);
    const cli = ensureTemporalCli();
    let ids: string[] = [];
    for (let i = 0; i < 40 && !ids.includes(firstJob); i++) {
      const r = spawnSync(
        cli,
        [
          'workflow',
          'list',
          '--address',
          c.address,
          '--query',
          `BatonApp='${DEMO_APP}' AND BatonState='succeeded'`,
          '-o',
          'json',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      ids = (JSON.parse(r.stdout || '[]') as { execution: { workflowId: string } }[]).map(
        (w) => w.execution.workflowId,
      );
      if (!ids.includes(firstJob)) await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(ids.includes(firstJob), `temporal workflow list did not find ${firstJob}`);
  });

  test('baton backup --wait runs a backup and baton status shows it', () => {
    const r = baton(['backup', DEMO_APP, '--wait', '--json', '--config', c.files.configFile]);
    assert.equal(r.code, 0, r.stderr);
    const result = summaryLine<{ state: string; node: string }>(r.stdout);
    assert.equal(result.state, 'succeeded');
    assert.equal(result.node, DEMO_APP_HOST);

    const s = baton(['status', '--json', '--config', c.files.configFile]);
    assert.equal(s.code, 0, s.stderr);
    const status = JSON.parse(s.stdout) as {
      apps: { name: string; host: string }[];
      nodes: { name: string }[];
      recentJobs: { state: string }[];
      coordinatorHost: string;
    };
    assert.deepEqual(
      status.apps.map((a) => [a.name, a.host]),
      [
        [DEMO_APP, DEMO_APP_HOST],
        [DRILL_APP, DRILL_APP_HOST],
      ],
    );
    assert.equal(status.nodes.length, 3);
    assert.ok(['node-1', 'node-2', 'node-3'].includes(status.coordinatorHost));
    assert.equal(status.recentJobs.length, 2);
  });

  test('requests that arrive together are answered in one workflow task; a second for a busy app is refused', async () => {
    // Every node process is stopped while three requests reach the server, so the coordinator
    // gets all three in its next workflow task. The requests go out only once the polls the
    // stopped processes had open expired (after 1 s on the dev server): the server hands a task to
    // an open poll even of a stopped process, and a task handed out with the first request alone
    // would leave the others to the next (a run under load saw the starts in two tasks).
    const nodes = c.nodes.map((n) => n.node);
    for (const n of nodes) c.signal(n, 'SIGSTOP');
    await new Promise((res) => setTimeout(res, 2500));
    const asked = Promise.allSettled(
      [DEMO_APP, DRILL_APP, DEMO_APP].map((app) => requestBackup(c.client, c.config.cluster, app, 'test')),
    );
    try {
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      for (const n of nodes) c.signal(n, 'SIGCONT');
    }
    const requests = await asked;
    const accepted = requests.flatMap((r) => (r.status === 'fulfilled' ? [r.value.jobId] : []));
    const refused = requests.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    assert.equal(accepted.length, 2, `accepted ${accepted.join(', ')}; refused ${refused.join('; ')}`);
    assert.equal(refused.length, 1);
    assert.match(refused[0], new RegExp(`app "${DEMO_APP}" already has a backup running`));

    // The coordinator answers each request with its planned job (the requester starts it:
    // coordinator-lets-requesters-start-jobs); the task an answer was recorded in is the last
    // WorkflowTaskCompleted before it.
    const events =
      (await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster)).fetchHistory()).events ?? [];
    const answeredIn = (jobId: string) => {
      const at = answerIndex(events, jobId);
      if (at < 0) return undefined;
      return events
        .slice(0, at)
        .reverse()
        .find((e) => e.workflowTaskCompletedEventAttributes)
        ?.eventId?.toString();
    };
    const tasks = accepted.map(answeredIn);
    assert.ok(tasks[0] !== undefined, `no answer for ${accepted[0]} in the coordinator's history`);
    assert.equal(tasks[1], tasks[0], 'both requests were answered in the same workflow task');
    const children = events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    assert.deepEqual(children, [], 'and no job was started as a child');
    for (const jobId of accepted) {
      assert.equal((await followJob(c.client, jobId, () => undefined, 500)).state, 'succeeded');
    }
  });

  test('400 requests at once from one process: each answered, none aborted by the server', async () => {
    // Past 100 updates in flight on the coordinator (COORDINATOR_UPDATES_DYNAMIC_CONFIG) the server
    // aborts every one in flight; a process sends at most 32 at once (update-admission.ts). Without
    // that limit this test saw 4,360 aborted updates; 150 requests at once were too few to meet it.
    const abortedBefore = abortedUpdates();
    const requests = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) =>
        requestBackup(c.client, c.config.cluster, i % 2 ? DRILL_APP : DEMO_APP, `burst-${i}`),
      ),
    );
    const accepted = requests.flatMap((r) => (r.status === 'fulfilled' ? [r.value.jobId] : []));
    const refused = requests.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    const busy = refused.filter((why) => /already has a backup running/.test(why));
    assert.deepEqual(
      refused.length - busy.length,
      0,
      `refused otherwise: ${refused
        .filter((w) => !busy.includes(w))
        .slice(0, 3)
        .join('; ')}`,
    );
    assert.ok(accepted.length >= 2 && accepted.length + busy.length === 400, `${accepted.length} accepted`);
    assert.equal(abortedUpdates() - abortedBefore, 0, 'updates the server aborted');
    for (const jobId of accepted) {
      assert.equal((await followJob(c.client, jobId, () => undefined, 500)).state, 'succeeded');
    }
  });

  test('8 processes sending 100 requests each at once: each answered, each process narrowed its window', async () => {
    // A process's 32 at once are its own: eight such processes hold 256 in flight, past the
    // server's 100. Each halves its window when the server refuses or aborts one of its updates
    // (update-admission.ts, told by grpc-retry.ts). Measured on this cluster: 10,150 updates
    // aborted and 21 s with the windows fixed at 32, 1,861 and 12 s with them narrowing.
    const abortedBefore = abortedUpdates();
    const processes = await burstFromProcesses(c.config.file, 8, 100);
    for (const p of processes) {
      assert.deepEqual(p.other, [], 'refused otherwise than as busy');
      assert.equal(p.jobs.length + p.busy, 100);
      assert.ok(p.window < UPDATES_PER_PROCESS, `a process ended with a window of ${p.window}`);
    }
    const abortedNow = abortedUpdates() - abortedBefore;
    assert.ok(abortedNow < 5_000, `${abortedNow} updates aborted`);
    for (const jobId of processes.flatMap((p) => p.jobs)) {
      assert.equal((await followJob(c.client, jobId, () => undefined, 500)).state, 'succeeded');
    }
  });

  test('baton backup of an unknown app fails in one line and changes nothing', async () => {
    // jobs not started by a schedule: the demo app's hourly one may fire meanwhile
    const asked = async () =>
      (await recentJobs(c.catalog, 100)).filter((j) => !j.requested_by.startsWith('schedule:')).length;
    const before = await asked();
    const r = baton(['backup', 'no-such-app', '--config', c.files.configFile]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), /^baton: unknown app "no-such-app"; apps in .*baton\.yaml: sample-db, drill-db$/);
    assert.equal(await asked(), before);
    assert.deepEqual(
      (await coordinatorStatus(c.client, c.config.cluster)).running.filter((j) => j.app === 'no-such-app'),
      [],
    );
  });

  test('the coordinator itself refuses an unknown app (a client that skips the config check)', async () => {
    await assert.rejects(requestBackup(c.client, c.config.cluster, 'ghost', 'test'), /unknown app "ghost"/);
  });

  test('no server reachable and bad flags get a one-line error and a non-zero exit', async () => {
    const port = await freePort();
    const config = join(c.dir, 'unreachable.yaml');
    writeFileSync(
      config,
      `cluster: demo\ntemporal: { address: '127.0.0.1:${port}' }\nnodes: [{name: n1}]\ndrives: [{name: d1, node: n1, path: d}]\napps: [{name: a, paths: [/tmp]}]\n`,
    );
    const r = baton(['backup', 'a', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^baton: no Temporal server answers at 127\\.0\\.0\\.1:${port}; start the demo cluster with \`npm run demo\``,
      ),
    );
    const flags = baton(['backup', DEMO_APP, '--bogus']);
    assert.notEqual(flags.code, 0);
    assert.match(flags.stderr, /unknown option '--bogus'/);
    const bad = baton(['status', '--config', join(c.dir, 'missing.yaml')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /missing\.yaml is not a valid Baton config:\n {2}- file not found/);
  });
});

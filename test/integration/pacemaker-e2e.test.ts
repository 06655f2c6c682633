/**
 * Baton driven by a real Pacemaker/Corosync cluster: three nodes, each in its own network and
 * mount namespace (pacemaker-test-cluster.ts), one `baton node` inside each node's namespaces
 * (its crm_mon asks its own node), `clusterService.kind: pacemaker` with one resource group per
 * app. The Temporal dev server and the catalog, PostgreSQL, run here on 127.0.0.1 and are relayed
 * onto this namespace's address on the cluster's bridge; PostgreSQL because the nodes are three
 * hosts (hostnames node-1..3) and a SQLite catalog rightly refuses a second host.
 *
 * (1) crm_resource --move takes the app from node-1 to node-2 mid-backup: the job's attempt moves
 * and resumes from its checkpoint, and the snapshot restores byte for byte. (2) the move is seen
 * through the alert agent's signal (`baton cluster notify` from every node's CIB alert), and with
 * the alert removed, by the coordinator's own poll. (3) Pacemaker stopped on the coordinator's
 * node: the coordinator keeps its last view, `baton status` says so, and it recovers once
 * Pacemaker is back. (4) the four drills (`runDrill`, with a way into the nodes' namespaces) pass
 * on this cluster, and one the CLI cannot inject from here is refused up front.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { clusterEvents, recentJobs } from '../../src/catalog/jobs';
import { PacemakerAdapter } from '../../src/cluster/pacemaker';
import { openCatalog, type Catalog } from '../../src/catalog/open';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { loadConfig, type BatonConfig } from '../../src/config/load';
import { DEMO_APP, DRILL_APP, writeDemoFiles, type DemoFiles } from '../../src/demo/demo-files';
import { BATON_BIN } from '../../src/demo/node-processes';
import { clusterControlFor } from '../../src/drill/cluster-control-for';
import { runDrill } from '../../src/drill/run-drill';
import { SCENARIOS } from '../../src/drill/scenario-names';
import { startDevServer, freePort, type DevServer } from '../../src/devtools/dev-server';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import {
  HOST_ADDRESS,
  linkHost,
  relay,
  startNamespacedNode,
  startPacemaker,
  stopPacemaker,
  testClusterTools,
  type NamespacedNode,
} from '../helpers/pacemaker-baton';
import { TestCluster, run, until, whyNotLive } from '../helpers/pacemaker-test-cluster';
import { TEST_APP_SCHEDULE } from '../helpers/local-cluster';
import { startPostgres } from '../helpers/postgres';
import { restoreSnapshot } from '../helpers/restore';
import { tempDir } from '../helpers/temp';
import { compareTrees } from '../helpers/tree';

/**
 * Coordinator tick: long enough that a move seen much sooner was seen through the alert, short
 * enough for the coordinator-failover drill: a SIGKILLed baton process changes no Pacemaker
 * resource, so nothing wakes the coordinator on its new node before this timer, and with 30 s the
 * drill's 60 s wait for the failover event ran out once in four runs (26-28 s in the others).
 */
const TICK_SECONDS = 15;

/**
 * How long a node process killed by a drill stays down before the harness (the node's supervisor)
 * starts it again. For the coordinator-failover drill a process back after 1 s may poll the
 * coordinator's task queue again before the tick's workflow task left the dead worker's sticky
 * queue, and take it (one time in three, measured): the coordinator then stays on its restarted
 * node, correctly, and the drill reports that outcome (`coordinator.stayed_on_restarted_node`).
 */
const RESTART_DELAY_MS = 1000;

interface Rig {
  dir: string;
  pcmk: TestCluster;
  files: DemoFiles;
  config: BatonConfig;
  client: Client;
  catalog: Catalog;
  nodes: NamespacedNode[];
}

const group = (id: string, members: string[]): string =>
  `<group id="${id}">${members
    .map(
      (m) => `<primitive id="${m}" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="${m}-monitor-5s" name="monitor" interval="5s"/></operations></primitive>`,
    )
    .join('')}</group>`;

const xmlAttr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The checkout as the alert agent (hacluster) reaches it: bind-mounted onto dir/checkout in every
 * node's own mount namespace, since the checkout itself may sit under a directory only root can
 * enter (CI clones into a 0700 temp dir). Nothing changes outside the nodes' namespaces.
 */
async function mountCheckout(pcmk: TestCluster, dir: string): Promise<string> {
  const target = join(dir, 'checkout');
  mkdirSync(target, { mode: 0o755 });
  const checkout = resolve(dirname(BATON_BIN), '..');
  for (const node of pcmk.names) await pcmk.tool(node, 'mount', '--bind', checkout, target);
  return target;
}

/** Baton's alert agent, running `baton cluster notify` (as hacluster) on every node. */
function notifyAlert(dir: string, checkout: string, configFile: string): string {
  const agent = join(dir, 'baton-pacemaker-alert.sh');
  writeFileSync(agent, readFileSync(join(__dirname, '../../../scripts/baton-pacemaker-alert.sh')));
  chmodSync(agent, 0o755);
  const log = join(dir, 'notify.log');
  const command =
    `${process.execPath} ${join(checkout, relative(resolve(dirname(BATON_BIN), '..'), BATON_BIN))} cluster notify --config ${configFile} >>${log} 2>&1; rc=$?; ` +
    `echo "notify exit $rc at $(date +%T.%N)" >>${log}; exit $rc`;
  return `<alerts><alert id="baton" path="${agent}"><instance_attributes id="baton-alert-attrs">
  <nvpair id="baton-alert-command" name="BATON_ALERT_COMMAND" value="${xmlAttr(command)}"/>
  </instance_attributes></alert></alerts>`;
}

/** The demo's files, with the catalog and cluster service this cluster uses. */
function writeConfig(dir: string, temporal: string, catalogUrl: string): DemoFiles {
  const files = writeDemoFiles(dir, temporal, {
    catalogUrl,
    // 80 MiB at 3 MiB/s: about 27 s, time enough to move the app mid-backup on a loaded machine.
    appFiles: 320,
    appFileKiB: 256,
    appBandwidthLimit: 3 * 1024 * 1024,
    jobs: { heartbeatTimeout: '3s', scheduleToStartTimeout: '10s', checkpointEvery: '1s', placementWait: '60s' },
    appSchedule: TEST_APP_SCHEDULE,
  });
  const yaml = readFileSync(files.configFile, 'utf8').replace(
    /^clusterService:\n {2}kind: static\n {2}mapFile: .*$/m,
    `clusterService:\n  kind: pacemaker\n  resources:\n    ${DEMO_APP}: db\n    ${DRILL_APP}: files`,
  );
  assert.match(yaml, /kind: pacemaker/);
  // drill-db read at 2 MiB/s, not the demo's 4: about 24 s, so a move Pacemaker makes and the
  // alert agent reports (several seconds on a loaded machine) lands while the drill's job runs.
  const drillRate = new RegExp(`(- name: ${DRILL_APP}\\n(?: {4}.*\\n)*? {4}bandwidthLimit: )\\d+`);
  assert.match(yaml, drillRate);
  writeFileSync(files.configFile, yaml.replace(drillRate, `$1${2 * 1024 * 1024}`));
  return files;
}

/** Stickiness, the alert, group db (sample-db) on node-1 and group files (drill-db). */
async function configurePacemaker(pcmk: TestCluster, alertXml: string): Promise<void> {
  const on1 = (cmd: string, ...args: string[]) => pcmk.tool('node-1', cmd, ...args);
  await on1('crm_attribute', '--type', 'rsc_defaults', '--name', 'resource-stickiness', '--update', '100');
  await on1('cibadmin', '--create', '--scope', 'configuration', '--xml-text', alertXml);
  await on1('cibadmin', '--create', '--scope', 'resources', '--xml-text', group('db', ['db-ip', 'db-server']));
  await on1('cibadmin', '--create', '--scope', 'resources', '--xml-text', group('files', ['files-export']));
  const prefer = '<rsc_location id="db-starts-on-node-1" rsc="db" node="node-1" score="1000"/>';
  await on1('cibadmin', '--create', '--scope', 'constraints', '--xml-text', prefer);
}

/** Everything up, in order; each piece is undone when the test ends, even when a later one fails. */
async function startRig(t: TestContext): Promise<Rig> {
  // Undone last-first once the test ends, whatever happened.
  const undo: (() => unknown)[] = [];
  t.after(async () => {
    for (const step of undo.reverse()) {
      await Promise.resolve()
        .then(step)
        .catch((e: unknown) => t.diagnostic(`teardown: ${String(e)}`));
    }
  });
  const tmp = tempDir('baton-pacemaker-e2e-');
  const dir = tmp.path;
  chmodSync(dir, 0o777); // alerts run as hacluster
  undo.push(() => tmp.cleanup());
  const pcmk = await TestCluster.start(dir, 3);
  undo.push(() => pcmk.stop());
  t.diagnostic(`Pacemaker: 3 nodes online after ${pcmk.startupMs} ms`);
  undo.push(await linkHost());
  const pg = await startPostgres();
  if (!pg) throw new Error('PostgreSQL server binaries not found; apt-get install postgresql');
  undo.push(() => pg.stop());
  const pgTarget = new URL(pg.url);
  const pgPort = await freePort(HOST_ADDRESS);
  const pgRelay = await relay(`${HOST_ADDRESS}:${pgPort}`, `127.0.0.1:${pgTarget.port}`);
  undo.push(() => pgRelay.close());
  // The dev server's frontend reaches its own services on 127.0.0.1 whatever its --ip, so it
  // stays on 127.0.0.1 and is relayed onto the bridge like PostgreSQL.
  const server: DevServer = await startDevServer({ dataDir: join(dir, 'temporal'), headless: true });
  undo.push(() => server.stop());
  const temporalPort = await freePort(HOST_ADDRESS);
  const temporalRelay = await relay(`${HOST_ADDRESS}:${temporalPort}`, server.address);
  undo.push(() => temporalRelay.close());

  const temporal = `${HOST_ADDRESS}:${temporalPort}`;
  const files = writeConfig(dir, temporal, `postgres://postgres@${HOST_ADDRESS}:${pgPort}/postgres`);
  const config = loadConfig(files.configFile);
  await configurePacemaker(pcmk, notifyAlert(dir, await mountCheckout(pcmk, dir), files.configFile));
  const catalog = await openCatalog(config.catalogUrl);
  undo.push(() => catalog.destroy());
  const connection = await Connection.connect({ address: server.address });
  undo.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const nodes = pcmk.names.map((n) =>
    startNamespacedNode(pcmk, n, files.configFile, join(dir, 'logs'), RESTART_DELAY_MS),
  );
  undo.push(() => Promise.all(nodes.map((n) => n.stop())));
  await ensureCoordinator(client, config, { tickSeconds: TICK_SECONDS });
  const rig = { dir, pcmk, files, config, client, catalog, nodes };
  await waitFor(
    `the coordinator to see ${DEMO_APP} on node-1`,
    async () => (await status(rig)).hosts[DEMO_APP] === 'node-1',
    90_000,
  );
  await pcmk.tool('node-1', 'cibadmin', '--delete', '--xml-text', '<rsc_location id="db-starts-on-node-1"/>');
  return rig;
}

const status = (r: Rig) => coordinatorStatus(r.client, r.config.cluster);

/** clusterChanged signals up to and including each closed run of the coordinator (they no longer change). */
const signalsThroughRun = new Map<string, number>();

/**
 * The clusterChanged signals the coordinator received, over all its runs: it continues as new
 * every 300 events, and a count of the current run alone drops to 0 when a new run begins.
 */
async function clusterSignals(r: Rig): Promise<number> {
  const workflowId = coordinatorWorkflowId(r.config.cluster);
  const counts: { runId: string | null; count: number }[] = [];
  let runId: string | undefined;
  let before = 0;
  for (;;) {
    const events = (await r.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const count = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'clusterChanged');
    counts.push({ runId: runId ?? null, count: count.length });
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!previous) break;
    const known = signalsThroughRun.get(previous);
    if (known !== undefined) {
      before = known;
      break;
    }
    runId = previous;
  }
  // oldest first: each closed run's running total is final
  let total = before;
  for (const { runId: closed, count } of counts.reverse()) {
    total += count;
    if (closed) signalsThroughRun.set(closed, total);
  }
  return total;
}

/**
 * Moves group db to `node` with crm_resource, waits until Pacemaker has it started there (returns
 * that time), and clears the move (stickiness keeps it there; a move cleared at once may never happen).
 */
async function moveDb(r: Rig, node: string): Promise<number> {
  await r.pcmk.tool('node-1', 'crm_resource', '--resource', 'db', '--move', '--node', node);
  const adapter = new PacemakerAdapter({ apps: { db: 'db' }, crmMon: r.pcmk.on('node-1', 'crm_mon') });
  await waitFor(`Pacemaker to start db on ${node}`, async () => {
    const app = (await adapter.snapshot()).apps[0];
    return app?.state === 'started' && app.host === node;
  });
  const at = Date.now();
  await r.pcmk.tool('node-1', 'crm_resource', '--resource', 'db', '--clear');
  return at;
}

async function movedMidBackup(t: TestContext, r: Rig): Promise<void> {
  const signalsBefore = await clusterSignals(r);
  const started = await requestBackup(r.client, r.config.cluster, DEMO_APP, 'pacemaker-e2e', true);
  assert.equal(started.node, 'node-1');
  await waitFor('a first checkpoint', () => latestCheckpoint(r.catalog, started.jobId), 30_000);
  const asked = Date.now();
  const seen = waitFor(
    'the coordinator to see db on node-2',
    async () => (await status(r)).hosts[DEMO_APP] === 'node-2' && Date.now(),
    60_000,
    100,
  );
  const movedAt = await moveDb(r, 'node-2');
  const seenAt = await seen;
  t.diagnostic(
    `crm_resource --move: db started on node-2 after ${((movedAt - asked) / 1000).toFixed(1)} s, ` +
      `the coordinator saw it ${((seenAt - movedAt) / 1000).toFixed(1)} s later (tick ${TICK_SECONDS} s)`,
  );
  const result = await followJob(r.client, started.jobId, () => undefined, 500);
  assert.equal(result.state, 'succeeded', result.error);

  // The alert agent's `baton cluster notify` signalled the coordinator.
  const signals = await clusterSignals(r);
  const notified = () => readFileSync(join(r.dir, 'notify.log'), 'utf8');
  assert.ok(
    signals > signalsBefore,
    `clusterChanged signals: ${signalsBefore} before, ${signals} after; ${notified()}`,
  );
  assert.doesNotMatch(notified(), /notify exit [1-9]/);
  t.diagnostic(`alert agent: ${signals - signalsBefore} clusterChanged signals for the move`);

  const attempts = await attemptsOf(r.catalog, started.jobId);
  assert.deepEqual(
    attempts.map((a) => [a.node, a.drive, a.outcome, a.restart_kind]),
    [
      ['node-1', 'node-1-disk', 'moved', null],
      ['node-2', 'node-2-disk', 'succeeded', 'checkpoint'],
    ],
  );
  assert.match(attempts[1].restart_reason ?? '', /^app moved from node-1 to node-2; resuming after \d+ files/);
  const reroute = (Date.parse(attempts[1].started_at) - movedAt) / 1000;
  t.diagnostic(`db started on node-2 to attempt 2 there: ${reroute.toFixed(1)} s (tick ${TICK_SECONDS} s)`);
  assert.equal(result.outcome?.drive, join(r.dir, 'drives', 'node-2-disk'));
  const target = await restoreSnapshot(r.config, result.outcome);
  assert.deepEqual(compareTrees(r.files.appDir, target), []);
}

async function seenByPollAlone(t: TestContext, r: Rig): Promise<void> {
  await r.pcmk.tool('node-1', 'cibadmin', '--delete', '--xml-text', '<alert id="baton"/>');
  for (const node of r.pcmk.names) {
    await waitFor(`the alert gone from ${node}'s CIB`, async () => {
      const cib = await r.pcmk.tool(node, 'cibadmin', '--query', '--scope', 'configuration');
      return !cib.includes('<alert id="baton"');
    });
  }
  // Alerts of earlier events still running land first: wait for 10 s without a new signal.
  let signalsBefore = -1;
  for (let now = await clusterSignals(r); now !== signalsBefore; now = await clusterSignals(r)) {
    signalsBefore = now;
    await new Promise((res) => setTimeout(res, 10_000));
  }
  const movedAt = await moveDb(r, 'node-3');
  await waitFor(
    'the coordinator’s poll to see db on node-3',
    async () => (await status(r)).hosts[DEMO_APP] === 'node-3',
    (TICK_SECONDS + 30) * 1000,
  );
  t.diagnostic(
    `poll alone: move seen, after db started on node-3, ${((Date.now() - movedAt) / 1000).toFixed(1)} s (tick ${TICK_SECONDS} s)`,
  );
  assert.equal(await clusterSignals(r), signalsBefore, 'no alert, no signal: the poll saw it');
}

/** Whether crm_mon on `node` answers now. */
const crmMonAnswers = (r: Rig, node: string): Promise<boolean> =>
  run(r.pcmk.on(node, 'crm_mon').concat('-1'), 10_000).then(
    () => true,
    () => false,
  );

/**
 * Stops Pacemaker on the coordinator's host and waits until the coordinator notices, or until it
 * moves: under load Temporal may hand the coordinator to another node (a workflow task that missed
 * its 1 s sticky queue while the observation waited on the dead crm_mon), whose Pacemaker answers.
 * That is no outage to show; the caller starts Pacemaker again and tries on the new host.
 */
async function stopPacemakerUnderCoordinator(t: TestContext, r: Rig) {
  const before = await status(r);
  const host = before.host as string;
  assert.ok(host, 'the coordinator has a host');
  // earlier tests (the drills stop Pacemaker on a node) may have left outages of their own
  const earlier = new Set((await clusterEvents(r.catalog, r.config.cluster, 100)).map((e) => e.id));
  const shutdownAt = Date.now();
  await stopPacemaker(r.pcmk, host);
  // Baton's part is timed from the moment crm_mon on the host stops answering
  const down = await until(async () => !(await crmMonAnswers(r, host)), 180_000);
  assert.ok(down, `crm_mon on ${host} still answers 180 s after pacemakerd --shutdown`);
  const stoppedAt = Date.now();
  const seen = await waitFor(
    'the coordinator to notice',
    async () => {
      const now = await status(r);
      if (now.clusterUnreachable) return { outage: now.clusterUnreachable, movedTo: null, hosts: now.hosts };
      return now.host !== host ? { outage: null, movedTo: now.host, hosts: now.hosts } : null;
    },
    (TICK_SECONDS + 60) * 1000,
  ).catch(async (err: Error) => {
    const events = (await clusterEvents(r.catalog, r.config.cluster, 100)).filter((e) => !earlier.has(e.id));
    const story = JSON.stringify(events.map((e) => [e.at, e.kind, e.node, e.message]));
    throw new Error(`${err.message}\nstatus: ${JSON.stringify(await status(r))}\nevents since the stop: ${story}`, {
      cause: err,
    });
  });
  const after = ((Date.now() - stoppedAt) / 1000).toFixed(1);
  const downAfter = ((stoppedAt - shutdownAt) / 1000).toFixed(1);
  if (seen.outage) {
    t.diagnostic(
      `Pacemaker stopped on ${host}: down ${downAfter} s after pacemakerd --shutdown, outage noticed ${after} s later`,
    );
  } else {
    t.diagnostic(`Pacemaker stopped on ${host}: the coordinator was handed to ${seen.movedTo} ${after} s later`);
  }
  if (seen.outage && JSON.stringify(seen.hosts) !== JSON.stringify(before.hosts)) {
    // Pacemaker stops the node's resources as it shuts down, and its alert wakes the coordinator
    t.diagnostic(
      `the coordinator saw ${JSON.stringify(seen.hosts)} before the outage (${JSON.stringify(before.hosts)} before the stop)`,
    );
  }
  // the view the coordinator held when it noticed the outage: the one it must keep
  return { host, before, earlier, outage: seen.outage, kept: seen.hosts };
}

/**
 * The outage as a status query and `baton status` show it while Pacemaker is down under the
 * coordinator; false when the coordinator left the node (or heard its cluster service again)
 * while they were asked, which leaves the output of `baton status` saying nothing of the outage.
 */
async function outageShown(
  t: TestContext,
  r: Rig,
  stopped: Awaited<ReturnType<typeof stopPacemakerUnderCoordinator>>,
): Promise<boolean> {
  const { host, kept, outage } = stopped;
  assert.match(outage?.error ?? '', /Pacemaker cannot be asked about the cluster on this node/);
  const during = await status(r);
  const handle = r.client.workflow.getHandle(coordinatorWorkflowId(r.config.cluster));
  assert.equal((await handle.describe()).status.name, 'RUNNING');
  const shown = baton(['status', '--config', r.files.configFile]);
  const still = await status(r);
  if (still.host !== host || !still.clusterUnreachable) {
    t.diagnostic(
      `the coordinator went from ${host} to ${still.host} (outage: ${JSON.stringify(still.clusterUnreachable)}) while its status was read`,
    );
    return false;
  }
  assert.equal(during.host, host, 'still on the same node');
  assert.deepEqual(during.hosts, kept, 'the last known view is kept');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    shown.stdout,
    /^cluster service unreachable since \S+ \(\d+ failed observations?\): Pacemaker cannot be asked .*; app hosts below are the last known$/m,
  );
  return true;
}

async function pacemakerStopped(t: TestContext, r: Rig): Promise<void> {
  const tries = 3;
  let stopped = await stopPacemakerUnderCoordinator(t, r);
  for (let attempt = 1; !stopped.outage || !(await outageShown(t, r, stopped)); attempt++) {
    assert.ok(attempt < tries, `the coordinator left the stopped node ${tries} times in a row`);
    startPacemaker(r.pcmk, stopped.host);
    assert.ok(await until(() => crmMonAnswers(r, stopped.host), 120_000), `Pacemaker back on ${stopped.host}`);
    await waitFor('the coordinator to see no outage', async () => !(await status(r)).clusterUnreachable, 120_000);
    stopped = await stopPacemakerUnderCoordinator(t, r);
  }
  const { host, earlier } = stopped;

  startPacemaker(r.pcmk, host);
  const backAt = Date.now();
  await waitFor('the coordinator to recover', async () => (await status(r)).clusterUnreachable === undefined, 120_000);
  t.diagnostic(`Pacemaker started again on ${host}: recovered after ${((Date.now() - backAt) / 1000).toFixed(1)} s`);
  // the status shows the recovery as the coordinator hears it; its catalog event follows by activity
  const since = async () => (await clusterEvents(r.catalog, r.config.cluster, 100)).filter((e) => !earlier.has(e.id));
  await waitFor('the cluster-service-recovered event', async () =>
    (await since()).some((e) => e.kind === 'cluster-service-recovered'),
  ).catch(() => undefined);
  const events = await since();
  const story = JSON.stringify(events.map((e) => [e.at, e.kind, e.node, e.message]));
  assert.equal(events.filter((e) => e.kind === 'cluster-service-unreachable').length, 1, story);
  assert.equal(events.filter((e) => e.kind === 'cluster-service-recovered').length, 1, story);
  assert.doesNotMatch(baton(['status', '--config', r.files.configFile]).stdout, /unreachable/);
}

/**
 * The four drills, as `baton drill` runs them, on this cluster (ClusterControl for Pacemaker,
 * reaching the nodes through the harness's namespaces), one after another on drill-db (group
 * files): each ends in one committed snapshot restored byte for byte, and leaves the cluster as it
 * found it. Before them, `baton drill node-failure` from this machine (not a Pacemaker node, no
 * way into the nodes) is refused up front and starts nothing.
 */
async function drillsOnPacemaker(t: TestContext, r: Rig): Promise<void> {
  const drillJobs = async () => (await recentJobs(r.catalog, 1000)).filter((j) => j.app === DRILL_APP).length;
  const jobsBefore = await drillJobs();
  const refused = baton(['drill', 'node-failure', '--json', '--config', r.files.configFile]);
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /cannot run the node-failure drill on cluster \S+: node-failure on Pacemaker stops Pacemaker on the app’s node and starts it again afterwards, and baton drill has no way into another node/,
  );
  assert.equal(await drillJobs(), jobsBefore, 'the refused drill started no backup');

  const control = { pacemakerTools: testClusterTools(r.pcmk) };
  for (const scenario of SCENARIOS) {
    const started = Date.now();
    const home = (await clusterControlFor(r.config, control).view()).apps[DRILL_APP];
    const report = await runDrill({ scenario, configFile: r.files.configFile, app: DRILL_APP, control });
    t.diagnostic(
      `${scenario}: ${((Date.now() - started) / 1000).toFixed(1)} s; ${report.fault?.detail}; ` +
        `attempts ${report.attempts.map((a) => `${a.node} ${a.outcome}`).join(', ')}; ${JSON.stringify(report.timings)}` +
        (report.coordinator ? `; coordinator ${JSON.stringify(report.coordinator)}` : '') +
        (report.fenced_event ? `; fenced off: ${report.fenced_event.kind}` : ''),
    );
    assert.equal(report.ok, true, `${scenario}: ${report.reason}`);
    assert.equal(report.restore_identical, true);
    assert.equal(report.commits, 1);
    assert.equal((await clusterControlFor(r.config, control).view()).apps[DRILL_APP], home, 'put back');
    // every node process back (the one the drill killed restarts after RESTART_DELAY_MS) before the next drill
    await waitFor('every node process running', () =>
      r.nodes.every((n) => n.child.exitCode === null && n.child.signalCode === null),
    );
  }
}

/** crm_mon answers a user who is not root only as a member of group haclient. */
async function crmMonGroup(r: Rig): Promise<void> {
  const gid = (await run(['getent', 'group', 'haclient'])).split(':')[2];
  const asNobody = (groups: string) =>
    run([...r.pcmk.on('node-1', 'setpriv'), '--reuid=65534', '--regid=65534', groups, 'crm_mon', '--output-as=xml']);
  assert.match(await asNobody(`--groups=${gid}`), /<node name="node-1"[^>]* online="true"/);
  await assert.rejects(asNobody('--clear-groups'), /crm_mon --output-as=xml failed/);
}

void test('Baton on a three-node Pacemaker cluster', { timeout: 720_000 }, async (t) => {
  const why = await whyNotLive();
  if (why !== null) {
    t.skip(why);
    return;
  }
  const rig = await startRig(t);
  await t.test('crm_mon answers a user who is not root in group haclient, and not without it', () => crmMonGroup(rig));
  await t.test('an app moved by Pacemaker mid-backup moves its job, resumed from its checkpoint', (tt) =>
    movedMidBackup(tt, rig),
  );
  await t.test('the four drills run on Pacemaker; one it cannot inject from here is refused up front', (tt) =>
    drillsOnPacemaker(tt, rig),
  );
  await t.test('with the alert agent removed, the coordinator’s own poll sees a move', (tt) =>
    seenByPollAlone(tt, rig),
  );
  await t.test('Pacemaker stopped on the coordinator’s node: last view kept, shown, recovered', (tt) =>
    pacemakerStopped(tt, rig),
  );
});

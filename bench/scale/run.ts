/**
 * `npm run bench:scale`: one coordinator directing BATON_SCALE_NODES (100) node workers and
 * BATON_SCALE_APPS (1,000) apps on a real Temporal dev server, BATON_SCALE_JOBS (10,000) backups
 * requested over a compressed day of BATON_SCALE_DAY_SECONDS, with a rolling failover of 10 % of
 * the nodes (each in turn hands its apps to the next node) in the middle of it. The node workers
 * run in BATON_SCALE_PROCESSES processes (worker-process.ts), BATON_SCALE_COORDINATOR_PROCESSES (2)
 * of which also carry the coordinator queue, with the stand-in backup
 * (stand-in-activities.ts), BATON_SCALE_BACKUP_MS long; the coordinator, the job workflows and the
 * catalog activities are the real ones, on a SQLite catalog. Then the same catalog's queries are
 * timed on SQLite and, copied, on PostgreSQL. Figures go to docs/benchmarks.md (scale section).
 *
 * BATON_SCALE_BURST=1 runs the other day an operator meets: every app asks for its backup in the
 * same second, as when they share one cron expression, with no cap on requests in flight and no
 * failover (docs/benchmarks.md, scale-burst section). BATON_SCALE_BURST_FROM says who asks: `bench`
 * (the default; this process, one client), or the worker processes, each for its share of the
 * apps, through `native` clients (their workers' NativeConnection, as a node's scheduled runs and
 * job ends send) or `grpc` ones (a connection of their own, as the CLI's); those runs write the
 * scale-burst-native or scale-burst-grpc section. `schedules`: every app's own Temporal Schedule
 * has the one cron time BATON_SCALE_CRON_LEAD_S (240) after the start, and the server fires them
 * (scheduled-burst.ts; the scale-burst-schedules section).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { format, resolveConfig } from 'prettier';
import { ensureCoordinator } from '../../src/client/coordinator-client';
import { clientInterceptors } from '../../src/client/grpc-retry';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { openCatalog, type Catalog } from '../../src/catalog/open';
import { loadConfig } from '../../src/config/load';
import { startDevServer } from '../../src/devtools/dev-server';
import { spliceNamedSection } from '../section';
import { COORDINATOR_RUN_EVENTS } from '../../src/model/coordinator';
import { coordinatorFigures, type CoordinatorFigures } from './coordinator-history';
import { driveUses, fromDriveFree, type Dispatched } from './drive-waits';
import { catalogTimings, copyCatalog, type QueryTiming } from './catalog-timings';
import { meanCores, serverRole, startCpuSampler, type CpuSample } from './cpu-sampler';
import { percentile } from './percentile';
import { sendRequest, type Requested } from './requested';
import { cronAfter, scheduledBurst, schedulesCreated } from './scheduled-burst';
import { nodeName, SCALE_CLUSTER, writeScalePlan, type ScalePlan } from './plan';
import { clusterDynamicConfig, unconstrained } from '../../src/model/server-dynamic-config';
import type { AttemptStarted } from './stand-in-activities';
import { startPostgres } from '../../test/helpers/postgres';
import { startRealServerStack } from '../../test/helpers/real-server';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const NODES = env('BATON_SCALE_NODES', 100);
const APPS = env('BATON_SCALE_APPS', 1000);
const JOBS = env('BATON_SCALE_JOBS', 10_000);
const DAY_S = env('BATON_SCALE_DAY_SECONDS', 1800);
const BACKUP_MS = env('BATON_SCALE_BACKUP_MS', 6000);
const PROCESSES = env('BATON_SCALE_PROCESSES', 4);
/** How many of those processes also carry the coordinator queue (workflows and its activities). */
const COORDINATOR_PROCESSES = env('BATON_SCALE_COORDINATOR_PROCESSES', 2);
/** The server's long-poll expiry on every queue; unset: docs/deploy.md's (60 s on node queues, 1 s on the others; 1 s on a dev server). */
const LONG_POLL = process.env.BATON_SCALE_LONG_POLL;
/** The server's limit of updates in flight on one workflow; unset: docs/deploy.md's (COORDINATOR_UPDATES_DYNAMIC_CONFIG). */
const UPDATES_IN_FLIGHT = process.env.BATON_SCALE_UPDATES_IN_FLIGHT;
/**
 * `real` (the default): the Temporal server itself on PostgreSQL, as docs/deploy.md runs it; `dev`:
 * the dev server on SQLite, whose one store falls behind under this load (docs/scale.md).
 */
const SERVER = process.env.BATON_SCALE_SERVER ?? 'real';
/** Every app once, all at the same moment (a shared cron time), instead of the day's spread. */
const BURST = process.env.BATON_SCALE_BURST === '1';
/** Who sends a burst's requests: this process, the worker processes through native or grpc clients, or the apps' schedules. */
const BURST_FROM = process.env.BATON_SCALE_BURST_FROM ?? 'bench';
const workersThrough = (clients: string) =>
  `sent by the ${PROCESSES} worker processes, each for its share of the apps, through ${clients}`;
/** Each sender of a burst: its section's title and the words saying who sent the requests. */
const SENDERS: Record<string, { title: string; text: string }> = {
  bench: { title: '', text: "sent by the bench's one process" },
  native: {
    title: ', from the worker processes (native clients)',
    text: workersThrough("their workers' NativeConnection clients (as a node's scheduled runs send)"),
  },
  grpc: {
    title: ', from the worker processes (grpc clients)',
    text: workersThrough('grpc-js connections of their own (as the CLI sends)'),
  },
  schedules: {
    title: ', from their schedules',
    text:
      "sent by the apps' own Temporal Schedules, all with one cron time and no jitter, each scheduled run asking " +
      'the coordinator and waiting for its job (timed from the cron time)',
  },
};
const SENDER = SENDERS[BURST_FROM];
if (!SENDER) {
  throw new Error(
    `BATON_SCALE_BURST_FROM is "${BURST_FROM}"; use one of ${Object.keys(SENDERS).join(', ')} (bench, the default)`,
  );
}
const FROM_WORKERS = BURST && (BURST_FROM === 'native' || BURST_FROM === 'grpc');
const FROM_SCHEDULES = BURST && BURST_FROM === 'schedules';
/** FROM_SCHEDULES: seconds from the start to the apps' one cron time (the coordinator creates their schedules meanwhile). */
const CRON_LEAD_S = env('BATON_SCALE_CRON_LEAD_S', 240);
/** Requests the bench holds in flight at most: 32 over the day, all of them in a burst. */
const IN_FLIGHT = BURST ? Infinity : 32;
const DOC = resolve(__dirname, '..', '..', '..', 'docs', 'benchmarks.md');
const WORKER = resolve(__dirname, 'worker-process.js');

function say(line: string): void {
  console.log(`bench:scale: ${new Date().toISOString().slice(11, 19)} ${line}`);
}

interface WorkerProcess {
  carriesCoordinator: boolean;
  child: ChildProcess;
  nodes: string[];
  ready: Promise<void>;
  /** FROM_WORKERS: where its burst's outcomes go, and when it has written them */
  burstOut: string;
  burstDone: Promise<void>;
}

function startWorkers(plan: ScalePlan, records: string, dir: string): WorkerProcess[] {
  const per = Math.ceil(plan.nodes.length / PROCESSES);
  return Array.from({ length: PROCESSES }, (_, i) => {
    const nodes = plan.nodes.slice(i * per, (i + 1) * per);
    const carries = i < COORDINATOR_PROCESSES ? ['--coordinator'] : [];
    const args = [WORKER, plan.configFile, records, String(BACKUP_MS), ...carries, ...nodes];
    const burstOut = join(dir, `burst-${i}.jsonl`);
    const burstEnv = FROM_WORKERS
      ? {
          // every PROCESSES-th app, starting with the i-th
          BATON_SCALE_BURST_APPS: plan.apps.filter((_, k) => k % PROCESSES === i).join(','),
          BATON_SCALE_BURST_CLIENT: BURST_FROM,
          BATON_SCALE_BURST_OUT: burstOut,
        }
      : {};
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...burstEnv },
    });
    const said = (what: RegExp) =>
      new Promise<void>((ok, fail) => {
        child.stdout?.on('data', (d: Buffer) => what.test(d.toString()) && ok());
        child.once('exit', (code) => fail(new Error(`worker process ${i} exited ${code} before it said ${what}`)));
      });
    const ready = said(/ready:/);
    const burstDone = said(/burst done/);
    burstDone.catch(() => undefined); // awaited only when the workers send the burst
    return { child, nodes, ready, burstOut, burstDone, carriesCoordinator: carries.length > 0 };
  });
}

/** FROM_WORKERS: each worker process asks for its share of the apps at once; their outcomes. */
async function burstFromWorkers(workers: WorkerProcess[]): Promise<Requested[]> {
  for (const w of workers) w.child.kill('SIGUSR2');
  await Promise.all(workers.map((w) => w.burstDone));
  return workers.flatMap((w) =>
    readFileSync(w.burstOut, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Requested),
  );
}

/** Peak resident memory of a process, from /proc (VmHWM), in MiB. */
function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Every app's backups, evenly over the day, apps staggered: the requests in time order. In a burst, each app once, now. */
function requestTimes(plan: ScalePlan): { app: string; atMs: number }[] {
  if (BURST) return plan.apps.map((app) => ({ app, atMs: 0 }));
  const perApp = Math.max(1, Math.round(JOBS / APPS));
  const spacing = (DAY_S * 1000) / perApp;
  const times = plan.apps.flatMap((app, i) =>
    Array.from({ length: perApp }, (_, k) => ({ app, atMs: k * spacing + (i / plan.apps.length) * spacing })),
  );
  return times.sort((a, b) => a.atMs - b.atMs);
}

/** The node running the most attempts right now (a failover that moves nothing tests nothing), among `candidates`. */
async function busiestNode(catalog: Catalog, candidates: string[]): Promise<{ node: string; running: number }> {
  const rows = await catalog
    .selectFrom('attempts')
    .select(['node', (eb) => eb.fn.countAll<number>().as('n')])
    .where('ended_at', 'is', null)
    .groupBy('node')
    .execute();
  const running = new Map(rows.map((r) => [r.node, Number(r.n)]));
  const node = candidates.reduce((best, n) => ((running.get(n) ?? 0) > (running.get(best) ?? 0) ? n : best));
  return { node, running: running.get(node) ?? 0 };
}

interface Failover {
  at: number;
  node: string;
  apps: number;
  /** attempts running on the node when it failed over */
  running: number;
}

/**
 * 10 % of the nodes, one after another through the day's middle third: each time the node running
 * the most attempts (not one failed over before, nor the one that took the last one's apps) hands
 * its apps to the next node in the plan.
 */
function rollingFailover(plan: ScalePlan, catalog: Catalog, t0: number): Failover[] {
  const count = Math.max(1, Math.round(plan.nodes.length / 10));
  const done: Failover[] = [];
  const used = new Set<string>();
  for (let k = 0; k < count; k++) {
    const at = t0 + (DAY_S * 1000 * (1 + k / count)) / 3;
    setTimeout(() => {
      void (async () => {
        const { node, running } = await busiestNode(
          catalog,
          plan.nodes.filter((n) => !used.has(n)),
        );
        const map = readStaticMap(plan.mapFile);
        const next = plan.nodes[(plan.nodes.indexOf(node) + 1) % plan.nodes.length];
        used.add(node).add(next);
        const moved = Object.keys(map.apps).filter((a) => map.apps[a] === node);
        for (const a of moved) map.apps[a] = next;
        writeStaticMap(plan.mapFile, map);
        done.push({ at: Date.now(), node, apps: moved.length, running });
        say(`failover: ${node}'s ${moved.length} apps (${running} attempts running) -> ${next}`);
      })().catch((err: Error) => say(`failover failed: ${err.message}`));
    }, at - Date.now());
  }
  return done;
}

async function requestDay(client: Client, plan: ScalePlan, cluster: string): Promise<Requested[]> {
  const t0 = Date.now();
  const requests: Requested[] = [];
  const inFlight = new Set<Promise<void>>();
  for (const { app, atMs } of requestTimes(plan)) {
    const wait = t0 + atMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    const r: Requested = { app, at: Date.now() };
    requests.push(r);
    const p = sendRequest(client, cluster, app, r).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (requests.length % 500 === 0) say(`${requests.length} requests, ${((Date.now() - t0) / 1000).toFixed(0)} s in`);
  }
  await Promise.all(inFlight);
  return requests;
}

/** The run's requests, by whom BURST_FROM names; `cronAt`: the apps' one cron time (FROM_SCHEDULES). */
async function askForBackups(
  client: Client,
  plan: ScalePlan,
  cluster: string,
  workers: WorkerProcess[],
  cronAt: number | null,
): Promise<Requested[]> {
  if (FROM_WORKERS) return burstFromWorkers(workers);
  if (cronAt === null) return requestDay(client, plan, cluster);
  await schedulesCreated(client, cluster, plan.apps.length, cronAt - 5000);
  return scheduledBurst(client, cluster, plan.apps, cronAt, 600_000, say);
}

async function waitForJobs(catalog: Catalog, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { n } = await catalog
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'running')
      .executeTakeFirstOrThrow();
    if (Number(n) === 0 || Date.now() > deadline) return;
    say(`${n} jobs still running`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

interface Outcome {
  requests: Requested[];
  dispatchMs: number[];
  /** dispatch latency from the later of the request and its drive's release (drive-waits.ts) */
  fromDriveFree: { ms: number[]; waited: number };
  states: Record<string, number>;
  failovers: Failover[];
  rerouted: number;
  /** per failover: the map changed -> the last of its apps' app-moved events recorded, ms */
  movesRecordedMs: number[];
  coordinator: CoordinatorFigures;
  rssMiB: number[];
  sqlite: QueryTiming[];
  postgres: QueryTiming[] | null;
  wallS: number;
  cpu: CpuSample[];
  /** the server's log lines of updates it aborted, and of updates refused over its in-flight limit */
  serverUpdates: { aborted: number; overLimit: number };
}

/** What the server logged of the coordinator's updates: aborted ones, and ones over its in-flight limit. */
function serverUpdateLines(logFile: string): { aborted: number; overLimit: number } {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : [];
  return {
    aborted: lines.filter((l) => /update was aborted/i.test(l)).length,
    overLimit: lines.filter((l) => /in-flight updates/i.test(l)).length,
  };
}

/** Each request whose job's first attempt ran, and when (from the stand-in's records). */
function dispatched(requests: Requested[], records: string): Dispatched[] {
  const starts = new Map<string, number>();
  for (const line of existsSync(records) ? readFileSync(records, 'utf8').split('\n') : []) {
    if (!line) continue;
    const s = JSON.parse(line) as AttemptStarted;
    if (s.attempt === 1) starts.set(s.jobId, s.startedAt);
  }
  return requests.flatMap((r) => {
    const at = r.jobId ? starts.get(r.jobId) : undefined;
    return r.jobId && at !== undefined ? [{ jobId: r.jobId, requestedMs: r.at, runningMs: at }] : [];
  });
}

/** For each failover, how long after the map changed the coordinator had recorded the last of its apps' moves. */
async function movesRecorded(catalog: Catalog, failovers: Failover[]): Promise<number[]> {
  const out: number[] = [];
  for (const f of failovers) {
    const { last } = await catalog
      .selectFrom('job_events')
      .select((eb) => eb.fn.max('at').as('last'))
      .where('kind', '=', 'app-moved')
      .where('message', 'like', `app % moved from ${f.node} to %`)
      .executeTakeFirstOrThrow();
    if (last) out.push(Date.parse(String(last)) - f.at);
  }
  return out;
}

async function jobStates(catalog: Catalog): Promise<{ states: Record<string, number>; rerouted: number }> {
  const rows = await catalog
    .selectFrom('jobs')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const multi = await catalog
    .selectFrom('attempts')
    .select((eb) => eb.fn.count<number>('job_id').distinct().as('n'))
    .where('number', '>', 1)
    .executeTakeFirstOrThrow();
  return { states: Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])), rerouted: Number(multi.n) };
}

async function postgresTimings(catalog: Catalog, cluster: string): Promise<QueryTiming[] | null> {
  const pg = await startPostgres();
  if (!pg) return null;
  try {
    const target = await openCatalog(pg.url);
    try {
      await copyCatalog(catalog, target);
      return await catalogTimings(target, cluster);
    } finally {
      await target.destroy();
    }
  } finally {
    pg.stop();
  }
}

/**
 * The server the run uses (SERVER). The real one gets docs/deploy.md's dynamic config (60 s long
 * polls on each node queue, 1 s on the others); LONG_POLL, if set, is the expiry on every queue,
 * UPDATES_IN_FLIGHT the limit of updates in flight.
 */
async function startServer(dir: string): Promise<{ address: string; logFile: string; stop(): Promise<void> }> {
  const overrides = {
    ...(LONG_POLL ? { 'matching.longPollExpirationInterval': LONG_POLL } : {}),
    ...(UPDATES_IN_FLIGHT ? { 'history.maxInFlightUpdates': Number(UPDATES_IN_FLIGHT) } : {}),
  };
  if (SERVER === 'real') {
    const nodes = Array.from({ length: NODES }, (_, i) => nodeName(i));
    const stack = await startRealServerStack({
      ...clusterDynamicConfig([{ cluster: SCALE_CLUSTER, nodes }]),
      ...unconstrained(overrides),
    });
    return { address: stack.server.address, logFile: stack.server.logFile, stop: () => stack.stop() };
  }
  if (SERVER !== 'dev') throw new Error(`BATON_SCALE_SERVER is "${SERVER}"; use real (the default) or dev`);
  return startDevServer({ dataDir: join(dir, 'temporal'), headless: true, dynamicConfig: overrides });
}

async function run(dir: string): Promise<Outcome> {
  const server = await startServer(dir);
  const cronTime = FROM_SCHEDULES ? cronAfter(CRON_LEAD_S) : null;
  const plan = writeScalePlan(dir, {
    address: server.address,
    nodes: NODES,
    apps: APPS,
    catalogUrl: 'sqlite:catalog.db',
    cron: cronTime?.cron,
  });
  const config = loadConfig(plan.configFile);
  const catalog = await openCatalog(config.catalogUrl);
  const records = join(dir, 'attempts.jsonl');
  const workers = startWorkers(plan, records, dir);
  const connection = await Connection.connect({
    address: server.address,
    interceptors: clientInterceptors(),
    // the coordinator's history is read whole at the end: a page of a run that took a burst of
    // requests passed gRPC's default 4 MiB
    channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const started = Date.now();
  const sampler = startCpuSampler(roleOf(workers));
  let cpu: CpuSample[] = [];
  try {
    await Promise.all(workers.map((w) => w.ready));
    say(`${NODES} node workers in ${PROCESSES} processes ready; coordinator for ${APPS} apps`);
    await ensureCoordinator(client, config, { tickSeconds: 2 });
    const failovers = BURST ? [] : rollingFailover(plan, catalog, Date.now());
    const requests = await askForBackups(client, plan, config.cluster, workers, cronTime?.at ?? null);
    await waitForJobs(catalog, 600_000);
    cpu = sampler.stop();
    const wallS = (Date.now() - started) / 1000;
    const { states, rerouted } = await jobStates(catalog);
    const movesRecordedMs = await movesRecorded(catalog, failovers);
    const rssMiB = workers.map((w) => peakRssMiB(w.child.pid));
    const coordinator = await coordinatorFigures(client, config.cluster, started);
    const sqlite = await catalogTimings(catalog, config.cluster);
    const postgres = await postgresTimings(catalog, config.cluster);
    const ran = dispatched(requests, records);
    const dispatchMs = ran.map((d) => d.runningMs - d.requestedMs);
    const fromFree = fromDriveFree(ran, await driveUses(catalog));
    // the raw figures beside the run, to look into a tail: each request, each coordinator run
    writeFileSync(join(dir, 'requests.jsonl'), requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(dir, 'coordinator-runs.json'), JSON.stringify(coordinator.runTimes));
    writeFileSync(join(dir, 'cpu.jsonl'), cpu.map((c) => JSON.stringify(c)).join('\n') + '\n');
    writeFileSync(
      join(dir, 'coordinator-handovers.jsonl'),
      coordinator.handOvers.map((h) => JSON.stringify(h)).join('\n') + '\n',
    );
    return {
      requests,
      dispatchMs,
      fromDriveFree: fromFree,
      states,
      failovers,
      rerouted,
      movesRecordedMs,
      coordinator,
      rssMiB,
      sqlite,
      postgres,
      wallS,
      cpu,
      serverUpdates: serverUpdateLines(server.logFile),
    };
  } finally {
    sampler.stop();
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))),
    );
    await connection.close();
    await catalog.destroy();
    await server.stop();
  }
}

/** Each process's role for the CPU samples: this bench, the worker processes by what they carry, the server's. */
function roleOf(workers: WorkerProcess[]) {
  const carrying = new Map(workers.map((w) => [w.child.pid, w.carriesCoordinator]));
  return (pid: number, comm: string) => {
    if (pid === process.pid) return 'bench';
    const carries = carrying.get(pid);
    if (carries !== undefined) return carries ? 'coordinator workers' : 'node workers';
    return serverRole(comm);
  };
}

/** Where bench:scale splits its CPU means: the day's first quarter, or a burst's first 30 s. */
const CPU_SPLIT_S = BURST ? 30 : DAY_S / 4;
const CPU_SPLIT_TEXT = BURST ? "the burst's first 30 s" : "the day's first quarter";

/** Mean cores used by each role and idle, before CPU_SPLIT_S and after, as "0.52 / 0.31". */
function cpuText(cpu: CpuSample[]): string {
  const first = meanCores(cpu, 0, CPU_SPLIT_S);
  const rest = meanCores(cpu, CPU_SPLIT_S);
  const roles = Object.keys({ ...first.cores, ...rest.cores }).sort(
    (a, b) => (rest.cores[b] ?? 0) - (rest.cores[a] ?? 0),
  );
  const pair = (a = 0, b = 0) => `${a.toFixed(2)} / ${b.toFixed(2)}`;
  return [
    ...roles.map((r) => `${r} ${pair(first.cores[r], rest.cores[r])}`),
    `idle ${pair(first.idle, rest.idle)}`,
  ].join(', ');
}

const ms = (v: number | null) =>
  v === null ? 'n/a' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;

function sectionText(o: Outcome): string {
  const accepted = o.requests.filter((r) => r.jobId).length;
  const refusals = new Map<string, number>();
  for (const r of o.requests) {
    if (!r.refused) continue;
    const kind = r.refused
      .replace(/baton-backup-\S+?\)/g, '<job>)')
      .replace(/app-\d+/g, 'app-N')
      .replace(/leaves its \d+ running job\(s\) \(.*?\) with/, 'leaves its running jobs with')
      .slice(0, 240);
    refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
  }
  const accepts = o.requests.flatMap((r) => (r.acceptedMs !== undefined ? [r.acceptedMs] : []));
  const p99 = percentile(o.dispatchMs, 99);
  const freeP99 = percentile(o.fromDriveFree.ms, 99);
  const c = o.coordinator;
  const handOverMs = c.handOvers.map((h) => h.ms);
  const timing = (t: QueryTiming[] | null, name: string) => t?.find((q) => q.name === name)?.medianMs ?? null;
  const queries = o.sqlite.map((q) => `| ${q.name} | ${ms(q.medianMs)} | ${ms(timing(o.postgres, q.name))} |`);
  const what = BURST
    ? `${o.requests.length} backups requested in the same second, one per app (as when every app shares one cron time), ${SENDER.text}, with no cap on requests in flight, no failover.`
    : `${o.requests.length} backups requested over a compressed day of ${DAY_S} s, ${o.failovers.length} nodes failed over in turn mid-day.`;
  return [
    BURST ? `## Scale: every app at once${SENDER.title}` : '## Scale',
    '',
    `Measured ${new Date().toISOString()} with \`${BURST ? 'BATON_SCALE_BURST=1 ' : ''}${BURST && BURST_FROM !== 'bench' ? `BATON_SCALE_BURST_FROM=${BURST_FROM} ` : ''}npm run bench:scale\` (bench/scale/run.ts) on ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the end: ${SERVER === 'real' ? 'the Temporal server itself on PostgreSQL' : 'a dev server'}, ` +
      `one coordinator, ${NODES} node workers in ${PROCESSES} processes (stand-in backups of ${BACKUP_MS / 1000} s that ` +
      `heartbeat every second and checkpoint every 2 s), ${APPS} apps, ${what} What the figures mean and ` +
      'what limits the next factor of 10: docs/scale.md.',
    '',
    '| figure | measured | goal | met |',
    '| --- | --- | --- | --- |',
    `| backups requested / accepted | ${o.requests.length} / ${accepted} | | |`,
    `| jobs by end state | ${Object.entries(o.states)
      .map(([s, n]) => `${s} ${n}`)
      .join(
        ', ',
      )} | every accepted job ends, none lost | ${(o.states.running ?? 0) === 0 && accepted === Object.values(o.states).reduce((a, b) => a + b, 0) ? 'yes' : 'no'} |`,
    `| rolling failover: a node's apps moved in the map -> the last of their moves recorded, p50 / max (${o.movesRecordedMs.length} of ${o.failovers.length} nodes) | ${ms(percentile(o.movesRecordedMs, 50))} / ${ms(o.movesRecordedMs.length ? Math.max(...o.movesRecordedMs) : null)} | | |`,
    `| rolling failover: attempts running on the nodes as they failed over / jobs moved (more than one attempt; an attempt that ends before it hears of the move is not moved) | ${o.failovers.reduce((n, f) => n + f.running, 0)} / ${o.rerouted} | | |`,
    `| request -> job started (the coordinator's update answered), p50 / p99 / max | ${ms(percentile(accepts, 50))} / ${ms(percentile(accepts, 99))} / ${ms(accepts.length ? Math.max(...accepts) : null)} | | |`,
    `| dispatch latency, request -> attempt running, p50 / p99 / max (${o.dispatchMs.length} jobs) | ${ms(percentile(o.dispatchMs, 50))} / ${ms(p99)} / ${ms(o.dispatchMs.length ? Math.max(...o.dispatchMs) : null)} | p99 < 1 s | ${p99 !== null && p99 < 1000 ? 'yes' : 'no'} |`,
    `| dispatch latency without waits for a busy drive: from the later of the request and the drive's release by the job that held it (${o.fromDriveFree.waited} jobs waited), p50 / p99 / max | ${ms(percentile(o.fromDriveFree.ms, 50))} / ${ms(freeP99)} / ${ms(o.fromDriveFree.ms.length ? Math.max(...o.fromDriveFree.ms) : null)} | p99 < 1 s | ${freeP99 !== null && freeP99 < 1000 ? 'yes' : 'no'} |`,
    `| the server's log: updates aborted / updates refused over its in-flight limit | ${o.serverUpdates.aborted} / ${o.serverUpdates.overLimit} | | |`,
    `| coordinator workflow task, scheduled -> completed, p50 / p99 / max (${c.tasks} tasks) | ${ms(c.taskP50Ms)} / ${ms(c.taskP99Ms)} / ${ms(c.taskMaxMs)} | | |`,
    `| coordinator runs (continue-as-new) during the run, events per run (max) | ${c.runs}, ${c.maxEventsPerRun} | | |`,
    `| coordinator hand-overs: due (${COORDINATOR_RUN_EVENTS} events) -> run closed, p50 / max (${handOverMs.length} runs); its tasks the server failed meanwhile as events came (UnhandledCommand) | ${ms(percentile(handOverMs, 50))} / ${ms(handOverMs.length ? Math.max(...handOverMs) : null)}; ${c.handOvers.reduce((n, h) => n + h.refusedTries, 0)}, in ${c.handOvers.filter((h) => h.refusedTries > 0).length} runs | | |`,
    `| coordinator state carried into a new run (largest input) | ${(c.maxInputBytes / 1024).toFixed(0)} KiB | | |`,
    `| worker processes' peak RSS | ${o.rssMiB.map((m) => `${m.toFixed(0)} MiB`).join(', ')} | | |`,
    `| CPU by process, mean cores used over ${CPU_SPLIT_TEXT} / the rest (of ${availableParallelism()}; samples of 5 s in cpu.jsonl beside the run) | ${cpuText(o.cpu)} | | |`,
    `| wall time of the whole run | ${o.wallS.toFixed(0)} s | | |`,
    '',
    'Catalog queries at the end of the run (median of 20):',
    '',
    '| query | SQLite | PostgreSQL (same rows) |',
    '| --- | --- | --- |',
    ...queries,
    '',
    ...(refusals.size ? ['Refused requests:', '', ...[...refusals].map(([m, n]) => `- ${n} x ${m}`)] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-scale-'));
  say(
    BURST
      ? `${NODES} nodes, ${APPS} apps, each asking at once, in ${dir}`
      : `${NODES} nodes, ${APPS} apps, ${JOBS} backups over ${DAY_S} s in ${dir}`,
  );
  const outcome = await run(dir);
  const section = BURST ? (BURST_FROM !== 'bench' ? `scale-burst-${BURST_FROM}` : 'scale-burst') : 'scale';
  const text = spliceNamedSection(readFileSync(DOC, 'utf8'), section, sectionText(outcome));
  writeFileSync(DOC, await format(text, { ...(await resolveConfig(DOC)), filepath: DOC }));
  say(`written to ${DOC}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

/**
 * A real local cluster for integration tests and history recording: a Temporal dev server on a
 * free port with SQLite in a temp dir, the demo's files, and three real node processes.
 * BATON_TEST_TEMPORAL=host:port (or `temporal`) uses an already running server instead of starting
 * one; `cluster` names the cluster (default: the demo's), so several can share one server.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openCatalog, type Catalog } from '../../src/catalog/open';
import { loadConfig, type BatonConfig } from '../../src/config/load';
import { writeDemoFiles, type DemoFiles, type DemoOptions } from '../../src/demo/demo-files';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { startDevServer, type DevServer } from '../../src/devtools/dev-server';
import { clientInterceptors } from '../../src/client/grpc-retry';
import { ensureCoordinator, type EnsureOptions } from '../../src/client/coordinator-client';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { tempDir } from './temp';

export interface LocalCluster {
  dir: string;
  files: DemoFiles;
  config: BatonConfig;
  address: string;
  client: Client;
  catalog: Catalog;
  nodes: NodeProcess[];
  server?: DevServer;
  /** Sends a signal to a node's process. */
  signal(node: string, signal: NodeJS.Signals): void;
  /** Starts a node's process again after it was killed. */
  restart(node: string): void;
  stop(): Promise<void>;
}

/**
 * The sample app's schedule in a test cluster unless the test gives one: once a year (1 January,
 * 03:00 UTC), so it exists (baton apply adds it, baton schedules lists it) but fires in no test.
 * The demo's own `every: 1h` fired inside tests that ran across its second of the hour and counted
 * the app's jobs or snapshots (frozen-node.test met it in CI).
 */
export const TEST_APP_SCHEDULE = '{ cron: "0 3 1 1 *" }';

export interface LocalClusterOptions {
  nodes?: boolean;
  dynamicConfig?: Record<string, unknown>;
  demo?: DemoOptions;
  /** The cluster's name in its config; default: the demo's. */
  cluster?: string;
  /** host:port of a running Temporal server to use (another cluster's); default: start one. */
  temporal?: string;
  /** Node processes poll under Worker Versioning (`temporal.deployment: {}`, docs/upgrades.md). */
  versioned?: boolean;
  /** Changes the demo's config file before the nodes start (given its YAML, returns the new one). */
  editConfig?: (yaml: string) => string;
}

/**
 * Waits until a node process logged "node ready"; one that exits first (a crash at start, such as
 * a catalog error) fails the test at once with its log's end, not minutes later as a node that
 * never picks work up.
 */
export async function nodeReady(p: NodeProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = () => (existsSync(p.logFile) ? readFileSync(p.logFile, 'utf8') : '');
  while (!log().includes('"msg":"node ready"')) {
    const ended = p.child.exitCode ?? p.child.signalCode;
    if (ended !== null || Date.now() > deadline) {
      const tail = log().trimEnd().split('\n').slice(-15).join('\n');
      throw new Error(
        `${p.node} ${ended === null ? `not ready within ${timeoutMs} ms` : `exited (${ended}) before it was ready`}; its log (${p.logFile}) ends:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Renames the cluster in the demo's config file. */
function nameCluster(configFile: string, cluster: string): void {
  writeFileSync(configFile, readFileSync(configFile, 'utf8').replace(/^cluster: .*$/m, `cluster: ${cluster}`));
}

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const dir = tempDir('baton-it-').path;
  let server: DevServer | undefined;
  let address = opts.temporal ?? process.env.BATON_TEST_TEMPORAL;
  if (!address) {
    server = await startDevServer({
      dataDir: join(dir, 'temporal'),
      headless: true,
      dynamicConfig: opts.dynamicConfig,
    });
    address = server.address;
  }
  const files = writeDemoFiles(dir, address, { appSchedule: TEST_APP_SCHEDULE, ...opts.demo });
  if (opts.cluster) nameCluster(files.configFile, opts.cluster);
  if (opts.versioned) {
    const yaml = readFileSync(files.configFile, 'utf8');
    writeFileSync(files.configFile, yaml.replace('  namespace: default\n', '  namespace: default\n  deployment: {}\n'));
  }
  if (opts.editConfig) writeFileSync(files.configFile, opts.editConfig(readFileSync(files.configFile, 'utf8')));
  const config = loadConfig(files.configFile);
  const catalog = await openCatalog(config.catalogUrl);
  const nodes =
    opts.nodes === false ? [] : config.plan.nodes.map((n) => startNodeProcess(n.name, files.configFile, dir));
  try {
    await Promise.all(nodes.map((n) => nodeReady(n)));
  } catch (err) {
    await Promise.all(nodes.map((n) => stopNodeProcess(n, dir)));
    await catalog.destroy();
    await server?.stop();
    throw err;
  }
  const connection = await Connection.connect({ address, interceptors: clientInterceptors() });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    dir,
    files,
    config,
    address,
    client,
    catalog,
    nodes,
    server,
    signal(node, signal) {
      const p = nodes.find((n) => n.node === node);
      if (!p?.child.pid) throw new Error(`no process for ${node}`);
      process.kill(p.child.pid, signal);
    },
    restart(node) {
      const index = nodes.findIndex((n) => n.node === node);
      nodes[index] = startNodeProcess(node, files.configFile, dir);
    },
    async stop() {
      await connection.close();
      await catalog.destroy();
      await Promise.all(nodes.map((n) => stopNodeProcess(n, dir)));
      await server?.stop();
    },
  };
}

/**
 * Waits until every node process has ensured the coordinator: each starts it (or finds it) as it
 * comes up, with the default timings, so a coordinator a test starts before that is not the one
 * that runs.
 */
export async function nodesEnsuredCoordinator(c: LocalCluster): Promise<void> {
  await waitFor('every node to have ensured the coordinator', () =>
    c.nodes.every((n) => readFileSync(n.logFile, 'utf8').includes(`the coordinator of cluster ${c.config.cluster}`)),
  );
}

/** The coordinator's timings a test sets (EnsureOptions without the replace callbacks). */
export type CoordinatorTimings = Pick<
  EnsureOptions,
  'tickSeconds' | 'runEvents' | 'reconcileSeconds' | 'startWindowSeconds'
>;

/**
 * Replaces the coordinator the nodes started with default timings by one with `timings`, which
 * the test needs to apply (a 60 s tick, a 2 s reconcile, a low bound of events a run).
 */
export async function replaceCoordinator(c: LocalCluster, timings: CoordinatorTimings, why: string): Promise<void> {
  await nodesEnsuredCoordinator(c);
  await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster)).terminate(why);
  await ensureCoordinator(c.client, c.config, timings);
}

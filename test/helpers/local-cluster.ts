/**
 * A real local cluster for integration tests and history recording: a Temporal dev server on a
 * free port with SQLite in a temp dir, the demo's files, and three real node processes.
 * BATON_TEST_TEMPORAL=host:port uses an already running server instead of starting one.
 */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openCatalog, type Catalog } from '../../src/catalog/open';
import { loadConfig, type BatonConfig } from '../../src/config/load';
import { writeDemoFiles, type DemoFiles, type DemoOptions } from '../../src/demo/demo-files';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { startDevServer, type DevServer } from '../../src/devtools/dev-server';
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

export async function startLocalCluster(
  opts: { nodes?: boolean; dynamicConfig?: Record<string, unknown>; demo?: DemoOptions } = {},
): Promise<LocalCluster> {
  const dir = tempDir('baton-it-').path;
  let server: DevServer | undefined;
  let address = process.env.BATON_TEST_TEMPORAL;
  if (!address) {
    server = await startDevServer({
      dataDir: join(dir, 'temporal'),
      headless: true,
      dynamicConfig: opts.dynamicConfig,
    });
    address = server.address;
  }
  const files = writeDemoFiles(dir, address, opts.demo);
  const config = loadConfig(files.configFile);
  const catalog = await openCatalog(config.catalogUrl);
  const nodes =
    opts.nodes === false ? [] : config.plan.nodes.map((n) => startNodeProcess(n.name, files.configFile, dir));
  const connection = await Connection.connect({ address });
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

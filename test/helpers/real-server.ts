/**
 * The real-server stack for the real-server tier: a throwaway PostgreSQL (test/helpers/postgres.ts)
 * holding the Temporal server's two databases and Baton's catalog, each with its own user, and the
 * Temporal server itself (src/devtools/temporal-server.ts) on it, with the default namespace and
 * Baton's search attributes. The same steps, by hand, are docs/deploy.md.
 */
import { Client as PgClient } from 'pg';
import {
  ensureTemporalServer,
  prepareNamespace,
  setupTemporalSchemas,
  startTemporalServer,
  type TemporalServer,
} from '../../src/devtools/temporal-server';
import { clusterDynamicConfig, type DynamicConfig } from '../../src/model/server-dynamic-config';
import { coordinatorQueue } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { baton } from './cli';
import type { LocalCluster } from './local-cluster';
import { startPostgres, type TestPostgres } from './postgres';
import { tempDir } from './temp';

export interface RealServerStack {
  pg: TestPostgres;
  server: TemporalServer;
  /** Baton's catalog: database baton, user baton. */
  catalogUrl: string;
  stop(): Promise<void>;
}

/** Says what the tier is doing on stderr (the build alone can take minutes). */
export const say = (line: string): void => void process.stderr.write(`baton real-server: ${line}\n`);

/** Users and databases as docs/deploy.md makes them: temporal may create its two databases. */
async function createUsers(adminUrl: string): Promise<void> {
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE temporal LOGIN PASSWORD 'temporal' CREATEDB`);
    await admin.query(`CREATE ROLE baton LOGIN PASSWORD 'baton'`);
    await admin.query('CREATE DATABASE baton OWNER baton');
  } finally {
    await admin.end();
  }
}

/**
 * The stack, its server with `dynamicConfig`: by default the dev servers' values (for frozen nodes
 * and for the coordinator's updates); clusterDynamicConfig with a cluster's nodes gives what
 * docs/deploy.md gives a production server, each node queue's long polls too.
 */
export async function startRealServerStack(
  dynamicConfig: DynamicConfig = clusterDynamicConfig([]),
): Promise<RealServerStack> {
  const binaries = await ensureTemporalServer(say);
  const pg = await startPostgres();
  if (!pg) throw new Error('PostgreSQL server binaries not found; apt-get install postgresql');
  let server: TemporalServer | undefined;
  try {
    await createUsers(pg.url);
    const port = Number(new URL(pg.url).port);
    const databases = { host: '127.0.0.1', port, user: 'temporal', password: 'temporal' };
    setupTemporalSchemas(binaries, databases, say);
    server = await startTemporalServer({
      binaries,
      databases,
      dataDir: tempDir('baton-temporal-').path,
      dynamicConfig,
      say,
    });
    await prepareNamespace(server.address, 'default', say);
    const started = server;
    return {
      pg,
      server,
      catalogUrl: `postgres://baton:baton@127.0.0.1:${port}/baton`,
      async stop() {
        await started.stop();
        pg.stop();
      },
    };
  } catch (err) {
    await server?.stop();
    pg.stop();
    throw err;
  }
}

/**
 * Bootstraps the cluster as docs/deploy.md does: the node processes (already started) ensure the
 * coordinator as they start, and `baton apply`, a real process, gives it the config; it must exit 0
 * and say the coordinator runs the plan. Returns its output.
 */
export async function bootstrapCoordinator(c: LocalCluster): Promise<string> {
  await waitFor('a node process polling the coordinator queue', async () => {
    const answer = await c.client.workflowService.describeTaskQueue({
      namespace: c.config.temporal.namespace,
      taskQueue: { name: coordinatorQueue(c.config.cluster) },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (answer.pollers ?? []).length > 0;
  });
  const r = baton(['apply', '--config', c.files.configFile]);
  if (r.code !== 0) throw new Error(`baton apply exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

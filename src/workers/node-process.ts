/**
 * A Baton node process: three Temporal workers sharing one connection.
 *   - baton-<cluster>-node-<name>: the node's backup service (backup, restore and verify: activities
 *     that touch this node's data and drives);
 *   - baton-<cluster>-coordinator: the workflows (coordinator and jobs), catalog activities, and the
 *     local activity that tells the coordinator which node it runs on;
 *   - baton-<cluster>-waits: the activities that wait on the coordinator or a job (a scheduled run's
 *     request and its wait for the job's end, a job's report of its end; names.ts waitQueue).
 * Every queue names the cluster, so another cluster in the same namespace never takes their tasks.
 * SIGINT/SIGTERM shut them down gracefully: running backups checkpoint and stop within the grace
 * time (graceful-stop.ts), then the process exits.
 */
import { hostname } from 'node:os';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import type { Logger } from 'pino';
import { createBackupActivities } from '../activities/backup-activities';
import { createCatalogActivities } from '../activities/catalog-activities';
import { createHostActivities } from '../activities/host-activities';
import { createOperationActivities } from '../activities/operation-activities';
import { createRetentionActivities } from '../activities/retention-activities';
import { createJobEndActivities } from '../activities/job-end-activities';
import { createReconcileActivities } from '../activities/reconcile-activities';
import { createScheduledRunActivities, createScheduleActivities } from '../activities/schedule-activities';
import { createRestoreTestActivities, createRestoreTestCatalogActivities } from '../activities/restore-test-activities';
import { openCatalog, type Catalog } from '../catalog/open';
import { createClusterAdapter } from './cluster-adapter';
import { notifyCoordinatorOnMapChange } from './cluster-map-watch';
import { repositoryPassword, type BatonConfig } from '../config/load';
import { nodeAllowedRoots } from '../config/node-roots';
import { explainConnectFailure } from '../config/temporal-handshake';
import { temporalConnectOptions } from '../config/temporal-options';
import type { HostReport } from '../model/coordinator';
import { UserError } from '../model/errors';
import { coordinatorQueue, nodeQueue, waitQueue, workerIdentity } from '../model/names';
import { ConnectivityWatch } from './connectivity';
import { gracefulStop, stopGraceMs, type GracefulStop } from './graceful-stop';
import { runtimeMetrics, startNodeMonitoring } from './node-monitoring';
import { workflowSource } from './workflow-bundle';
import { hostReportSignal } from '../workflows/messages';
import { adoptIfNoneCurrent, deploymentVersion, versionedWorker, type DeploymentVersion } from './deployment';

let runtimeInstalled = false;

function installRuntimeLogger(logger: Logger, metricsBind?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const log = logger.child({ component: 'temporal' });
  const map: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => log[map[entry.level]](entry.meta ?? {}, entry.message)),
    ...(metricsBind ? { telemetryOptions: runtimeMetrics(metricsBind) } : {}),
  });
}

export interface NodeProcessOptions {
  node: string;
  config: BatonConfig;
  logger: Logger;
  /** Seconds SIGTERM waits for running backups to checkpoint; default: the config's jobs.checkpointEvery. */
  stopGraceSeconds?: number;
  /** Run once the workers poll, beside them (the CLI starts the coordinator if none runs); a failure is logged. */
  onReady?: (client: Client) => Promise<void>;
  /** HOST:PORT to serve /metrics and /healthz on; default: the config's nodes[].metricsListen, else none. */
  metricsListen?: string;
}

interface WorkerParts {
  node: string;
  config: BatonConfig;
  logger: Logger;
  connection: NativeConnection;
  client: Client;
  catalog: Catalog;
  password: string | undefined;
  watch: ConnectivityWatch;
  stop: GracefulStop;
  identity: string;
  /** The deployment version its workers poll as; null: unversioned (temporal.deployment not set). */
  version: DeploymentVersion | null;
}

/**
 * Signals a host report to the coordinator run that asked for it. A run that ended meanwhile
 * (continue-as-new) gets none: its next run asks again.
 */
function tellCoordinator(client: Client) {
  return async (run: { workflowId: string; runId: string }, report: HostReport): Promise<void> => {
    try {
      await client.workflow.getHandle(run.workflowId, run.runId).signal(hostReportSignal, report);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  };
}

/**
 * The activities of the coordinator queue: catalog, host (local), schedules, reconcile, jobs' ends
 * and restore-test records.
 */
export function coordinatorQueueActivities(node: string, config: BatonConfig, catalog: Catalog, client: Client) {
  return {
    ...createCatalogActivities(catalog),
    ...createHostActivities({ node, cluster: createClusterAdapter(config), tell: tellCoordinator(client) }),
    ...createScheduleActivities({ client }),
    ...createReconcileActivities({ client, catalog }),
    ...createJobEndActivities({ client }),
    ...createRestoreTestCatalogActivities(catalog),
  };
}

/**
 * Waits a node takes at once on the waits queue. A wait is a promise and a long poll, not work (a
 * request waits in line in the process for its turn to be sent: update-admission.ts): a thousand
 * apps sharing a cron time on a small cluster all fit.
 */
export const WAITS_PER_NODE = 1000;

/** The node's worker on the waits queue, as its options (bench/scale's worker processes use them too). */
export function waitWorkerOptions(cluster: string, client: Client) {
  return {
    taskQueue: waitQueue(cluster),
    activities: { ...createScheduledRunActivities({ client }), ...createJobEndActivities({ client }) },
    maxConcurrentActivityTaskExecutions: WAITS_PER_NODE,
    // one long poll per node: a poll answers at once while waits are queued
    maxConcurrentActivityTaskPolls: 1,
  } satisfies Partial<WorkerOptions>;
}

/** The node's workers: the coordinator queue (workflows, catalog, host), its own node queue, the waits queue. */
async function createWorkers(parts: WorkerParts): Promise<[Worker, Worker, Worker]> {
  const { node, config, logger, connection, client, catalog, password, watch, stop, identity, version } = parts;
  const allowed = nodeAllowedRoots(config, node);
  const coordinatorWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: coordinatorQueue(config.cluster),
    identity,
    ...(version ? versionedWorker(version) : {}),
    ...workflowSource(),
    activities: coordinatorQueueActivities(node, config, catalog, client),
    // When this node dies, its sticky queue has no poller: after 1 s the coordinator's next task
    // goes back to the shared queue and another node picks it up (DESIGN.md measured 1.7 s).
    stickyQueueScheduleToStartTimeout: '1s',
    ...stop.workerOptions,
  });
  const nodeWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: nodeQueue(config.cluster, node),
    identity,
    ...(version ? versionedWorker(version) : {}),
    activities: {
      ...createBackupActivities({
        node,
        logger,
        catalog,
        password,
        encryption: config.repository.encryption,
        cacheDir: config.repository.cacheDir,
        msSinceTemporalReached: () => watch.msSinceReached(),
        stopping: stop.signal,
        allowed,
      }),
      ...createOperationActivities({ cluster: config.cluster, node, logger, password, allowed }),
      ...createRetentionActivities({ node, logger, catalog, password, allowed }),
      ...createRestoreTestActivities({ node, logger, password, allowed }),
    },
    // Heartbeats reach the server at least every second (not only every 0.8 heartbeat timeouts):
    // their details are the jobs' live progress (docs/restart-policy.md), and a cancelled
    // restore or verify hears of it within a second and stops.
    maxHeartbeatThrottleInterval: '1s',
    ...stop.workerOptions,
  });
  const waitWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    identity,
    ...(version ? versionedWorker(version) : {}),
    ...waitWorkerOptions(config.cluster, client),
    ...stop.workerOptions,
  });
  return [coordinatorWorker, nodeWorker, waitWorker];
}

/** Once the workers poll: the first build of a deployment becomes current; a later one waits for `baton upgrade`. */
async function adoptDeployment(
  connection: NativeConnection,
  config: BatonConfig,
  version: DeploymentVersion,
  identity: string,
  logger: Logger,
): Promise<void> {
  const current = await adoptIfNoneCurrent(connection.workflowService, config.temporal.namespace, version, identity);
  if (current === version.buildId) logger.info({ deployment: version }, 'this build is current');
  else logger.info({ deployment: version, current }, 'this build is inactive until `baton upgrade` makes it current');
}

/** The node's one connection to Temporal, or a one-line UserError naming the setting to fix. */
async function connectNative(config: BatonConfig): Promise<NativeConnection> {
  const options = temporalConnectOptions(config.temporal, config.file);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw new UserError(await explainConnectFailure(config.temporal, options, config.file, err), { cause: err });
  }
}

export async function runNodeProcess({
  node,
  config,
  logger,
  stopGraceSeconds,
  onReady,
  metricsListen,
}: NodeProcessOptions): Promise<void> {
  if (!config.plan.nodes.some((n) => n.name === node)) {
    throw new Error(
      `node "${node}" is not in ${config.file}; use one of: ${config.plan.nodes.map((n) => n.name).join(', ')}`,
    );
  }
  const password = repositoryPassword(config);
  const listen = metricsListen ?? config.metricsListen[node];
  const monitoring = listen ? await startNodeMonitoring(node, listen, logger) : undefined;
  installRuntimeLogger(logger, monitoring?.runtimeBind);
  // One connection for the workers and the client: a NativeConnection is a client's ConnectionLike.
  const connection = await connectNative(config);
  const catalog = await openCatalog(config.catalogUrl);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const watch = new ConnectivityWatch(connection);
  watch.start();
  const identity = workerIdentity(node, hostname(), process.pid);
  // Worker Versioning is opt-in (docs/upgrades.md): a cluster turns it on with temporal.deployment
  const version = config.temporal.deployment ? deploymentVersion(config) : null;
  const stop = gracefulStop(logger, stopGraceMs(config.plan.jobs.checkpointEverySeconds, stopGraceSeconds));
  let stopMapWatch: (() => void) | null = null;
  try {
    const workers = await createWorkers({
      node,
      config,
      logger,
      connection,
      client,
      catalog,
      password,
      watch,
      stop,
      identity,
      version,
    });
    monitoring?.attach({ plan: config.plan, catalog, watch, workers: () => workers });
    logger.info(
      {
        cluster: config.cluster,
        queues: [coordinatorQueue(config.cluster), nodeQueue(config.cluster, node), waitQueue(config.cluster)],
        identity,
        deployment: version,
      },
      'node ready',
    );
    const running = Promise.all(workers.map((w) => w.run()));
    stopMapWatch = notifyCoordinatorOnMapChange(config, node, client, logger);
    void (version ? adoptDeployment(connection, config, version, identity, logger) : Promise.resolve())
      .then(() => onReady?.(client))
      .catch((err: unknown) => logger.warn({ err }, 'start-up step failed; the node runs on'));
    await running;
    logger.info('node stopped');
  } finally {
    stopMapWatch?.();
    stop.dispose();
    await monitoring?.close();
    watch.stop();
    await catalog.destroy();
    await connection.close();
  }
}

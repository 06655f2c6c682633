/**
 * Turns on a node's monitoring endpoint (docs/operations.md): Baton's metrics and the catalog's
 * gauges in one registry, the Temporal runtime's metrics exported on a loopback port and merged
 * into the same `/metrics`, and `/healthz`. Started before the node connects to anything, so a
 * metrics address already in use stops the node before it does any work.
 */
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/open';
import { registerCatalogMetrics, registerPlanMetrics } from '../metrics/catalog-metrics';
import type { ClusterPlan } from '../model/plan';
import { freeLoopbackPort, startMetricsServer, type Health, type MetricsServer } from '../metrics/metrics-server';
import { registerNode, registry } from '../metrics/node-metrics';
import type { ConnectivityWatch } from './connectivity';
import { nodeHealth } from './node-health';

export interface NodeMonitoring {
  /** Where the Temporal runtime should export its metrics (a loopback HOST:PORT). */
  runtimeBind: string;
  /** Starts serving the catalog's gauges and the workers' health once the node has them. */
  attach(parts: { plan: ClusterPlan; catalog: Catalog; watch: ConnectivityWatch; workers: () => Worker[] }): void;
  close(): Promise<void>;
}

export async function startNodeMonitoring(node: string, listen: string, logger: Logger): Promise<NodeMonitoring> {
  const runtimeBind = `127.0.0.1:${await freeLoopbackPort()}`;
  let health = (): Health => ({ ok: false, node, workers: 'starting', temporal: 'not yet connected' });
  let server: MetricsServer | undefined = await startMetricsServer({
    listen,
    registry,
    runtimeUrl: `http://${runtimeBind}/metrics`,
    health: () => health(),
  });
  registerNode(node);
  logger.info(
    { metrics: `http://${server.address}/metrics`, health: `http://${server.address}/healthz` },
    'serving metrics',
  );
  return {
    runtimeBind,
    attach({ plan, catalog, watch, workers }) {
      registerCatalogMetrics(registry, catalog, plan.cluster);
      registerPlanMetrics(registry, plan);
      health = () => nodeHealth({ node, watch, workers });
    },
    async close() {
      await server?.close();
      server = undefined;
    },
  };
}

/** The Temporal runtime's Prometheus exporter on `bind`, named as Prometheus expects (seconds, `_total`). */
export function runtimeMetrics(bind: string) {
  return {
    metrics: { prometheus: { bindAddress: bind, countersTotalSuffix: true, useSecondsForDurations: true } },
  };
}

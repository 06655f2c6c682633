/**
 * The Temporal server's dynamic config a Baton cluster wants, in one place: the dev servers take
 * the unconstrained values (the dev server's flags cannot constrain one), the Temporal server itself
 * takes the whole file (docs/deploy.md, `baton server-config`), with long polls per task queue.
 */
import { nodeQueue, waitQueue } from './names';

/**
 * For frozen nodes (SIGSTOP, a paused VM), which keep their long polls open while the server hands
 * tasks to them:
 *   - long polls expire after 1 s, not 60: a frozen node takes no task a second after it froze
 *     (a live worker polls again at once);
 *   - the server suggests continue-as-new at 1000 events, not 4096: a node that takes over a
 *     workflow replays its whole history within the 2 s workflow task timeout
 *     (src/model/task-timeouts.ts). The coordinator continues as new sooner on its own, at 300
 *     events (COORDINATOR_RUN_EVENTS): a replay of 1000 took up to 2 s on a loaded node.
 * docs/drills.md (frozen nodes) has the figures.
 */
export const FROZEN_NODE_DYNAMIC_CONFIG: Record<string, unknown> = {
  'matching.longPollExpirationInterval': '1s',
  'limit.historyCount.suggestContinueAsNew': 1000,
};

/**
 * For the coordinator's updates: up to 100 in flight (admitted, not yet completed) on one workflow,
 * not 10. A request over the limit is refused, and the server then clears the workflow's context,
 * which aborts every update in flight on it ("workflow update was aborted"); their clients send
 * them again at once and meet the limit again. bench/scale's coordinator, taking 3.7 requests and
 * 3.7 job ends a second, logged 8,600 to 10,500 such aborts in a 270 s day with the default, 2 and
 * 15 with this (docs/scale.md).
 */
export const COORDINATOR_UPDATES_DYNAMIC_CONFIG: Record<string, unknown> = {
  'history.maxInFlightUpdates': 100,
};

/**
 * A node queue's long polls expire after this, Temporal's default. Only its own node polls it, so a
 * frozen node holds back no other node's task there; the 1 s expiry guards the queues nodes share
 * (the coordinator's, where any node takes workflow tasks and catalog activities, and the sticky
 * ones). At 1 s everywhere bench/scale's two cores were 0-17 % idle; with 60 s on the node queues,
 * about 30 % (docs/scale.md). The waits queue, shared too, has it as well: what a frozen node took
 * there only waits on another workflow, and is sent elsewhere at its heartbeat timeout (15 or 30 s)
 * while that workflow runs on; every node's idle polls there every second would cost the server as
 * the node queues' did.
 */
export const NODE_QUEUE_LONG_POLL = '60s';

/** One value of a key, under its constraints; the server takes the most specific that matches. */
export interface DynamicConfigValue {
  value: unknown;
  constraints?: { taskQueueName?: string; namespace?: string };
}

/** Dynamic config as the server's file holds it: each key a list of constrained values. */
export type DynamicConfig = Record<string, DynamicConfigValue[]>;

/** Unconstrained values as a dynamic config. */
export function unconstrained(values: Record<string, unknown>): DynamicConfig {
  return Object.fromEntries(Object.entries(values).map(([k, value]) => [k, [{ value }]]));
}

/**
 * The dynamic config for a cluster's server: the dev servers' values, and a 60 s long poll on each
 * node queue and the waits queue of each cluster (nodes named per cluster). Several clusters on
 * one server: pass each.
 */
export function clusterDynamicConfig(clusters: { cluster: string; nodes: string[] }[]): DynamicConfig {
  const config = unconstrained({ ...FROZEN_NODE_DYNAMIC_CONFIG, ...COORDINATOR_UPDATES_DYNAMIC_CONFIG });
  const key = 'matching.longPollExpirationInterval';
  config[key] = [
    ...clusters.flatMap(({ cluster, nodes }) =>
      [...nodes.map((node) => nodeQueue(cluster, node)), waitQueue(cluster)].map((taskQueueName) => ({
        value: NODE_QUEUE_LONG_POLL,
        constraints: { taskQueueName },
      })),
    ),
    ...config[key],
  ];
  return config;
}

/** The server's dynamic config file (YAML; JSON strings and numbers are YAML scalars). */
export function dynamicConfigYaml(config: DynamicConfig): string {
  const lines: string[] = [];
  for (const [key, values] of Object.entries(config)) {
    lines.push(`${key}:`);
    for (const { value, constraints } of values) {
      lines.push(`  - value: ${JSON.stringify(value)}`);
      const entries = Object.entries(constraints ?? {});
      lines.push(
        entries.length === 0
          ? '    constraints: {}'
          : `    constraints: { ${entries.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`,
      );
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '{}\n';
}

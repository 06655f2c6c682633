/**
 * What the status page shows, read from the same sources as `baton status`: the coordinator's
 * status query (nodes, apps and their hosts, its own host, running jobs), each running job's
 * heartbeat details (live progress, as `baton job` reads them), and the catalog (each app's last
 * success and failure, the cluster's recent failed jobs). Web UI links come from `webUiUrl`.
 */
import type { Client } from '@temporalio/client';
import { backupTimes } from '../catalog/backup-health';
import type { Catalog } from '../catalog/open';
import { backupProgress } from '../client/live-progress';
import { coordinatorStatus } from '../client/coordinator-client';
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import { coordinatorWorkflowId } from '../model/names';
import type { StatusPageAnswer, StatusPageData } from './status-page-html';

/** How many failed jobs the page lists. */
export const RECENT_FAILURES = 10;

/** The Temporal dev server's Web UI port when nothing else is said (`temporal server start-dev`'s default). */
export const DEV_SERVER_UI_PORT = 8233;

/** The Web UI a config's server most likely has: the same host, the dev server's UI port. */
export function defaultWebUiUrl(temporalAddress: string): string {
  const host = temporalAddress.replace(/:\d+$/, '') || '127.0.0.1';
  return `http://${host}:${DEV_SERVER_UI_PORT}`;
}

/** The Web UI page of workflow `id`. */
export function workflowUrl(webUiUrl: string, namespace: string, id: string): string {
  return `${webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}`;
}

async function recentFailures(catalog: Catalog, cluster: string) {
  return catalog
    .selectFrom('jobs')
    .select(['id', 'app', 'node', 'finished_at', 'error'])
    .where('cluster', '=', cluster)
    .where('state', '=', 'failed')
    .orderBy('finished_at', 'desc')
    .limit(RECENT_FAILURES)
    .execute();
}

export interface StatusSources {
  config: BatonConfig;
  client: Client;
  catalog: Catalog;
  webUiUrl: string;
}

/** The page's data now. */
export async function loadStatusPageData(s: StatusSources): Promise<StatusPageData> {
  const { config, client, catalog } = s;
  const link = (id: string) => workflowUrl(s.webUiUrl, config.temporal.namespace, id);
  // a closed workflow still answers queries (with its last state): ask whether it runs first
  const run = await client.workflow.getHandle(coordinatorWorkflowId(config.cluster)).describe();
  if (run.status.name !== 'RUNNING') {
    throw new UserError(
      `the coordinator of cluster ${config.cluster} is not running (its workflow is ${run.status.name}); start it with \`baton apply\``,
    );
  }
  const state = await coordinatorStatus(client, config.cluster);
  const [times, failures, running] = await Promise.all([
    backupTimes(catalog, config.cluster),
    recentFailures(catalog, config.cluster),
    Promise.all(
      state.running.map(async (j) => ({
        jobId: j.jobId,
        app: j.app,
        node: j.node,
        drive: j.drive,
        progress: (await backupProgress(client, j.jobId).catch(() => null))?.summary ?? null,
        url: link(j.jobId),
      })),
    ),
  ]);
  const timesOf = new Map(times.map((t) => [t.app, t]));
  return {
    cluster: config.cluster,
    coordinator: {
      workflowId: coordinatorWorkflowId(config.cluster),
      host: state.host,
      url: link(coordinatorWorkflowId(config.cluster)),
    },
    nodes: state.plan.nodes.map((n) => ({
      name: n.name,
      drives: state.plan.drives.filter((d) => d.node === n.name).map((d) => d.name),
      coordinator: state.host === n.name,
    })),
    apps: state.plan.apps.map((a) => ({
      name: a.name,
      host: state.hosts[a.name] ?? null,
      lastSuccess: timesOf.get(a.name)?.lastSuccess ?? null,
      lastFailure: timesOf.get(a.name)?.lastFailure ?? null,
    })),
    running,
    failures: failures.map((f) => ({
      jobId: f.id,
      app: f.app,
      node: f.node,
      finishedAt: f.finished_at,
      error: f.error,
      url: link(f.id),
    })),
    at: new Date().toISOString(),
  };
}

/** The data, or the one-line reason there is none (a coordinator not running, a server that does not answer). */
export async function loadStatusAnswer(s: StatusSources): Promise<StatusPageAnswer> {
  try {
    return { ok: true, data: await loadStatusPageData(s) };
  } catch (err) {
    return { ok: false, error: (err as Error).message.split('\n')[0], at: new Date().toISOString() };
  }
}

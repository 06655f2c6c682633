/**
 * Local activities the coordinator runs on whichever node hosts it: "which node am I on, and what
 * does this node's cluster service say?". observeHost answers by its result, recorded in history;
 * reportHost, which replaced it, answers by signal, so the coordinator acts on a history event
 * (docs/development.md, "The coordinator hears its host by signal").
 */
import { type ClusterAdapter } from '../cluster/adapter';
import { recordCoordinatorHostCheck } from '../metrics/node-metrics';
import { hostOf, type ClusterSnapshot } from '../model/cluster';
import type { HostReport, HostReportRequest } from '../model/coordinator';
import { sleep } from '../util/wait';

export interface HostObservation {
  node: string;
  /**
   * The cluster service's view. When it is the view the coordinator already holds (same host, same
   * version), its nodes and apps are left out: the answer is recorded in the coordinator's history
   * every tick, and with 1,000 apps the whole view is about 50 KB (bench/scale).
   */
  cluster: ClusterSnapshot;
}

/** What the coordinator saw last: the node it ran on and the version of the view it holds. */
export interface KnownView {
  host: string | null;
  version: string | null;
}

export interface HostActivityDeps {
  node: string;
  cluster: ClusterAdapter;
  /** Signals a report to the coordinator run that asked for it (reportHost). */
  tell: (run: { workflowId: string; runId: string }, report: HostReport) => Promise<void>;
  /**
   * The waits between tries of the cluster service before reportHost reports it unreachable: 1 s
   * and 2 s, the backoff of observeHost's three attempts (its local activity's retry policy).
   */
  retryWaitsMs?: number[];
}

/** The view without its nodes and apps, when the coordinator holds it on this node already. */
function trimmed(cluster: ClusterSnapshot, known: KnownView, node: string): ClusterSnapshot {
  const held = known.host === node && known.version === cluster.version;
  return held ? { ...cluster, nodes: [], apps: [] } : cluster;
}

/** The cluster service's view, tried once more after each of `waitsMs`. */
async function snapshotRetried(cluster: ClusterAdapter, waitsMs: number[]): Promise<ClusterSnapshot> {
  for (const wait of waitsMs) {
    try {
      return await cluster.snapshot();
    } catch {
      await sleep(wait);
    }
  }
  return cluster.snapshot();
}

export function createHostActivities(deps: HostActivityDeps) {
  const waits = deps.retryWaitsMs ?? [1000, 2000];
  return {
    async observeHost(known?: KnownView): Promise<HostObservation> {
      recordCoordinatorHostCheck(deps.node);
      const cluster = await deps.cluster.snapshot();
      return { node: deps.node, cluster: trimmed(cluster, known ?? { host: null, version: null }, deps.node) };
    },
    /**
     * Tells the coordinator, by signal, what this node's cluster service says, when that is news to
     * it: another node, another version of the view, a failure, or an answer after an outage.
     * Returns whether it told. The cluster service's failures are reported, not thrown; a failed
     * signal is thrown (the local activity retries it).
     */
    async reportHost(request: HostReportRequest): Promise<boolean> {
      recordCoordinatorHostCheck(deps.node);
      const run = { workflowId: request.workflowId, runId: request.runId };
      let cluster: ClusterSnapshot;
      try {
        cluster = await snapshotRetried(deps.cluster, waits);
      } catch (err) {
        await deps.tell(run, {
          ask: request.ask,
          node: deps.node,
          error: err instanceof Error ? err.message : String(err),
        });
        return true;
      }
      const news = request.outage || request.host !== deps.node || request.version !== cluster.version;
      if (!news) return false;
      await deps.tell(run, { ask: request.ask, node: deps.node, cluster: trimmed(cluster, request, deps.node) });
      return true;
    },
    /** Where the cluster service of this node says `app` runs now; null when nowhere. */
    async appHost(app: string): Promise<string | null> {
      return hostOf(await deps.cluster.snapshot(), app);
    },
  };
}

export type HostActivities = ReturnType<typeof createHostActivities>;

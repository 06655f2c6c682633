/**
 * Local activities the coordinator runs on whichever node hosts it: "which node am I on, and what
 * does this node's cluster service say?". The answer is recorded in history, so replay is stable.
 */
import { type ClusterAdapter } from '../cluster/adapter';
import { recordCoordinatorHostCheck } from '../metrics/node-metrics';
import { hostOf, type ClusterSnapshot } from '../model/cluster';

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

export function createHostActivities(deps: { node: string; cluster: ClusterAdapter }) {
  return {
    async observeHost(known?: KnownView): Promise<HostObservation> {
      recordCoordinatorHostCheck(deps.node);
      const cluster = await deps.cluster.snapshot();
      const held = known?.host === deps.node && known.version === cluster.version;
      return { node: deps.node, cluster: held ? { ...cluster, nodes: [], apps: [] } : cluster };
    },
    /** Where the cluster service of this node says `app` runs now; null when nowhere. */
    async appHost(app: string): Promise<string | null> {
      return hostOf(await deps.cluster.snapshot(), app);
    },
  };
}

export type HostActivities = ReturnType<typeof createHostActivities>;

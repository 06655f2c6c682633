/**
 * Local activities the coordinator runs on whichever node hosts it: "which node am I on, and what
 * does this node's cluster service say?". The answer is recorded in history, so replay is stable.
 */
import { type ClusterAdapter } from '../cluster/adapter';
import { recordCoordinatorHostCheck } from '../metrics/node-metrics';
import { hostOf, type ClusterSnapshot } from '../model/cluster';

export interface HostObservation {
  node: string;
  cluster: ClusterSnapshot;
}

export function createHostActivities(deps: { node: string; cluster: ClusterAdapter }) {
  return {
    async observeHost(): Promise<HostObservation> {
      recordCoordinatorHostCheck(deps.node);
      return { node: deps.node, cluster: await deps.cluster.snapshot() };
    },
    /** Where the cluster service of this node says `app` runs now; null when nowhere. */
    async appHost(app: string): Promise<string | null> {
      return hostOf(await deps.cluster.snapshot(), app);
    },
  };
}

export type HostActivities = ReturnType<typeof createHostActivities>;

/**
 * How a drill changes the cluster: where apps run, moving one, losing a node and getting it back.
 * One interface, one implementation per cluster service (static-map-control.ts,
 * pacemaker-control.ts), chosen from the config's clusterService kind (cluster-control-for.ts). The
 * node processes themselves are signalled through their pid files (src/demo/cluster-control.ts),
 * whatever the service.
 */
import type { StaticMap } from '../cluster/static';
import type { BatonConfig } from '../config/load';
import type { Scenario } from './scenario-names';

/** Where apps run and which nodes are online, as the cluster service says now. */
export type ClusterView = StaticMap;

export interface ClusterControl {
  readonly kind: BatonConfig['clusterService']['kind'];
  /** Why `scenario` cannot inject its fault on this cluster service, or null when it can. Changes nothing. */
  refusal(scenario: Scenario): Promise<string | null>;
  view(): Promise<ClusterView>;
  /** Moves `app` to `node` as the HA stack would; resolves once the service runs it there. Says how. */
  moveApp(app: string, node: string): Promise<string>;
  /**
   * True when the service moves a lost node's apps by itself (Pacemaker); false when the drill
   * places them (the static map).
   */
  readonly failureMovesApps: boolean;
  /** The cluster service loses `node` (its Baton process is killed separately). Says how. */
  failNode(node: string): Promise<string>;
  /** Brings a node failNode took away back; says what it did. */
  restoreNode(node: string): Promise<string>;
  /** Who starts a killed node process again, for the drill's messages. */
  readonly restarter: string;
}

/**
 * The drills' control of the demo's static cluster map: the map file changed as an HA stack would
 * change its view (src/demo/cluster-control.ts), with the demo's supervisor restarting killed nodes.
 */
import { changeMap, moveApp, readMap } from '../demo/cluster-control';
import type { BatonConfig } from '../config/load';
import type { ClusterControl, ClusterView } from './cluster-control';

export class StaticMapControl implements ClusterControl {
  readonly kind = 'static';
  readonly failureMovesApps = false;
  readonly restarter = "the demo's supervisor";

  constructor(private readonly config: BatonConfig) {}

  /** Every drill can change a static map. */
  refusal(): Promise<string | null> {
    return Promise.resolve(null);
  }

  view(): Promise<ClusterView> {
    return Promise.resolve(readMap(this.config));
  }

  moveApp(app: string, node: string): Promise<string> {
    moveApp(this.config, app, node);
    return Promise.resolve('in the static cluster map');
  }

  failNode(node: string): Promise<string> {
    changeMap(this.config, (m) => (m.nodes[node] = 'offline'));
    return Promise.resolve('marked offline in the static cluster map');
  }

  restoreNode(node: string): Promise<string> {
    changeMap(this.config, (m) => (m.nodes[node] = 'online'));
    return Promise.resolve(`${node} marked online in the cluster map`);
  }
}

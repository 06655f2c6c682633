/** The drills' ClusterControl for a config's cluster service kind. */
import type { BatonConfig } from '../config/load';
import type { ClusterControl } from './cluster-control';
import { PacemakerControl } from './pacemaker-control';
import { localPacemakerTools, type PacemakerTools } from './pacemaker-tools';
import { StaticMapControl } from './static-map-control';

export interface ClusterControlOptions {
  /** How Pacemaker's tools reach each node; default: this machine's own tools (localPacemakerTools). */
  pacemakerTools?: PacemakerTools;
}

export function clusterControlFor(config: BatonConfig, opts: ClusterControlOptions = {}): ClusterControl {
  const service = config.clusterService;
  return service.kind === 'static'
    ? new StaticMapControl(config)
    : new PacemakerControl(config, service, opts.pacemakerTools ?? localPacemakerTools());
}

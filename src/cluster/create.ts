/** Builds the cluster adapter a config asks for. */
import type { BatonConfig } from '../config/load';
import type { ClusterAdapter } from './adapter';
import { StaticClusterAdapter } from './static';

export function createClusterAdapter(config: BatonConfig): ClusterAdapter {
  const service = config.clusterService;
  switch (service.kind) {
    case 'static':
      return new StaticClusterAdapter(service.mapFile);
    case 'pacemaker':
      throw new Error(
        'clusterService.kind "pacemaker" is not available in this build yet; use kind: static with a mapFile',
      );
  }
}

/** Builds the cluster adapter a config asks for. */
import type { BatonConfig } from '../config/load';
import type { ClusterAdapter } from '../cluster/adapter';
import { PacemakerAdapter } from '../cluster/pacemaker';
import { StaticClusterAdapter } from '../cluster/static';

export function createClusterAdapter(config: BatonConfig): ClusterAdapter {
  const service = config.clusterService;
  switch (service.kind) {
    case 'static':
      return new StaticClusterAdapter(service.mapFile);
    case 'pacemaker':
      return new PacemakerAdapter({
        apps: Object.fromEntries(config.plan.apps.map((a) => [a.name, service.resources[a.name] ?? a.name])),
        cibFile: service.cibFile,
        timeoutMs: service.timeoutMs,
      });
  }
}

/**
 * The scale benchmark's cluster: `nodes` nodes (scale-node-001 ...), one directory drive each, and
 * `apps` apps spread evenly over them in the static cluster map. The apps' paths are never read:
 * the node workers run the stand-in backup (stand-in-activities.ts), so the figures are the
 * coordinator's, Temporal's and the catalog's, not the engine's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeStaticMap } from '../../src/cluster/static';

export const SCALE_CLUSTER = 'scale';

export interface ScalePlan {
  dir: string;
  configFile: string;
  mapFile: string;
  nodes: string[];
  apps: string[];
  /** The app's host in the map as written. */
  hostOf: Map<string, string>;
}

export function nodeName(i: number): string {
  return `scale-node-${String(i + 1).padStart(3, '0')}`;
}

export function appName(i: number): string {
  return `app-${String(i + 1).padStart(4, '0')}`;
}

export function writeScalePlan(
  dir: string,
  o: { address: string; nodes: number; apps: number; catalogUrl: string; cron?: string },
): ScalePlan {
  mkdirSync(dir, { recursive: true });
  const nodes = Array.from({ length: o.nodes }, (_, i) => nodeName(i));
  const apps = Array.from({ length: o.apps }, (_, i) => appName(i));
  const hostOf = new Map(apps.map((a, i) => [a, nodes[i % nodes.length]]));
  const yaml = [
    '# Written by bench/scale/run.ts for one run.',
    `cluster: ${SCALE_CLUSTER}`,
    'temporal:',
    `  address: ${o.address}`,
    '  namespace: default',
    'catalog:',
    `  url: ${o.catalogUrl}`,
    'clusterService:',
    '  kind: static',
    '  mapFile: cluster-map.json',
    'repository:',
    '  encryption: false',
    'jobs:',
    '  heartbeatTimeout: 5s',
    '  scheduleToStartTimeout: 30s',
    '  checkpointEvery: 2s',
    '  placementWait: 60s',
    'nodes:',
    ...nodes.map((n) => `  - name: ${n}`),
    'drives:',
    ...nodes.flatMap((n) => [
      `  - name: ${n}-disk`,
      `    node: ${n}`,
      '    kind: directory',
      `    path: drives/${n}-disk`,
    ]),
    'apps:',
    ...apps.flatMap((a) => [
      `  - name: ${a}`,
      `    paths: [apps/${a}]`,
      '    restart: auto',
      '    maxCheckpointAge: 1h',
      // every app on the one cron time without a jitter (a crowd `baton apply` notes): a burst
      ...(o.cron ? [`    schedule: { cron: "${o.cron}" }`] : []),
    ]),
    '',
  ].join('\n');
  const configFile = join(dir, 'baton.yaml');
  writeFileSync(configFile, yaml);
  const mapFile = join(dir, 'cluster-map.json');
  writeStaticMap(mapFile, {
    nodes: Object.fromEntries(nodes.map((n) => [n, 'online'])),
    apps: Object.fromEntries(hostOf),
  });
  return { dir, configFile, mapFile, nodes, apps, hostOf };
}

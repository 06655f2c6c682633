/**
 * The static cluster service: a JSON map file that says which nodes are up and where each app
 * runs. The demo and tests change it (`baton cluster move`), standing in for an HA stack.
 *
 *   { "nodes": { "node-1": "online", ... }, "apps": { "sample-db": "node-1", ... } }
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type ClusterAdapter, ClusterUnavailableError } from './adapter';
import { type ClusterSnapshot, type NodeState } from '../model/cluster';

export interface StaticMap {
  nodes: Record<string, NodeState>;
  apps: Record<string, string | null>;
}

export function readStaticMap(file: string): StaticMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClusterUnavailableError(
      `cluster map ${file} cannot be read (${(err as Error).message}); create it or fix clusterService.mapFile`,
      { cause: err },
    );
  }
  try {
    const map = JSON.parse(text) as Partial<StaticMap>;
    return { nodes: map.nodes ?? {}, apps: map.apps ?? {} };
  } catch (err) {
    throw new ClusterUnavailableError(`cluster map ${file} is not valid JSON; fix or rewrite it`, { cause: err });
  }
}

/** Writes the map atomically (rename), so a reader never sees half a file. */
export function writeStaticMap(file: string, map: StaticMap): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(map, null, 2) + '\n');
  renameSync(tmp, file);
}

export class StaticClusterAdapter implements ClusterAdapter {
  readonly kind = 'static';

  constructor(private readonly file: string) {}

  snapshot(): Promise<ClusterSnapshot> {
    const map = readStaticMap(this.file);
    const nodes = Object.entries(map.nodes)
      .map(([name, state]) => ({ name, state }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const apps = Object.entries(map.apps)
      .map(([name, host]) => {
        const up = host !== null && map.nodes[host] === 'online';
        return { name, host: up ? host : null, state: up ? ('started' as const) : ('stopped' as const) };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const version = createHash('sha256').update(JSON.stringify({ nodes, apps })).digest('hex').slice(0, 16);
    return Promise.resolve({ version, takenAt: new Date().toISOString(), nodes, apps });
  }
}

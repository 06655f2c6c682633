/**
 * Control of a local cluster (the demo's, or a test's): node pid files (`<configdir>/<node>.pid`,
 * written when a node process starts), signals, changes to the static cluster map as an HA stack
 * would make them, and waiting for the demo's supervisor to bring a killed node back. Used by
 * `baton cluster move|fail` and by `baton drill`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../model/errors';
import { readStaticMap, writeStaticMap, type StaticMap } from '../cluster/static';
import type { BatonConfig } from '../config/load';
import { waitFor } from '../util/wait';

export function mapFileOf(config: BatonConfig): string {
  if (config.clusterService.kind !== 'static') {
    throw new UserError(
      `cluster ${config.cluster} uses the ${config.clusterService.kind} cluster service, not a static map; ` +
        'change it with its own tools (crm_resource --move, crm_node), or run against the demo cluster ' +
        '(`npm run demo`, then --config .baton/baton.yaml)',
    );
  }
  return config.clusterService.mapFile;
}

export function readMap(config: BatonConfig): StaticMap {
  return readStaticMap(mapFileOf(config));
}

/** Changes the static map in one read-modify-write. */
export function changeMap(config: BatonConfig, change: (map: StaticMap) => void): void {
  const file = mapFileOf(config);
  const map = readStaticMap(file);
  change(map);
  writeStaticMap(file, map);
}

/** Where a node process of a local cluster run from `dir` (the config's directory) keeps its pid. */
export function pidFileIn(dir: string, node: string): string {
  return join(dir, `${node}.pid`);
}

export function pidFile(config: BatonConfig, node: string): string {
  return pidFileIn(dirname(config.file), node);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of `node`'s process from its pid file, or null when there is none or it is not running. */
export function readPid(config: BatonConfig, node: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile(config, node), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** The pid of `node`'s running process; a UserError naming the fix when the demo is not running here. */
export function requirePid(config: BatonConfig, node: string): number {
  const pid = readPid(config, node);
  if (pid === null) {
    throw new UserError(
      `no running process for ${node} (pid file ${pidFile(config, node)}); drills need the demo cluster running on ` +
        'this machine: start it with `npm run demo` in another terminal',
    );
  }
  return pid;
}

export function signalNode(config: BatonConfig, node: string, signal: NodeJS.Signals): number {
  const pid = requirePid(config, node);
  process.kill(pid, signal);
  return pid;
}

/** Waits until `node` runs again under a pid other than `oldPid` (the demo's supervisor restarts it). */
export async function waitForRestart(
  config: BatonConfig,
  node: string,
  oldPid: number,
  timeoutMs = 30_000,
): Promise<number> {
  return waitFor(
    `${node} to be restarted (pid file ${pidFile(config, node)})`,
    () => {
      const pid = readPid(config, node);
      return pid !== null && pid !== oldPid ? pid : null;
    },
    timeoutMs,
  );
}

/** The first online node, by name, other than those excluded; null when there is none. */
export function otherOnlineNode(map: StaticMap, exclude: (string | null)[]): string | null {
  return (
    Object.keys(map.nodes)
      .sort()
      .find((n) => map.nodes[n] === 'online' && !exclude.includes(n)) ?? null
  );
}

function checkNode(config: BatonConfig, node: string): void {
  if (!config.plan.nodes.some((n) => n.name === node)) {
    throw new UserError(
      `unknown node "${node}"; nodes in ${config.file}: ${config.plan.nodes.map((n) => n.name).join(', ')}`,
    );
  }
}

/** Moves `app` to `node` in the static map, as the HA stack would on a failover. */
export function moveApp(config: BatonConfig, app: string, node: string): { from: string | null } {
  if (!config.plan.apps.some((a) => a.name === app)) {
    throw new UserError(
      `unknown app "${app}"; apps in ${config.file}: ${config.plan.apps.map((a) => a.name).join(', ')}`,
    );
  }
  checkNode(config, node);
  let from: string | null = null;
  changeMap(config, (map) => {
    if (map.nodes[node] !== 'online') {
      throw new UserError(
        `node "${node}" is ${map.nodes[node] ?? 'not in the cluster map'}; move ${app} to an online node`,
      );
    }
    from = map.apps[app] ?? null;
    map.apps[app] = node;
  });
  return { from };
}

/**
 * Fails a node: SIGKILLs its local node process (when its pid file names a running one), marks it
 * offline, and moves its apps to the first other online node, as the HA stack would.
 */
export function failNode(
  config: BatonConfig,
  node: string,
): { killed: number | null; moved: Record<string, string | null> } {
  checkNode(config, node);
  mapFileOf(config);
  const killed = readPid(config, node);
  if (killed !== null) process.kill(killed, 'SIGKILL');
  const moved: Record<string, string | null> = {};
  changeMap(config, (map) => {
    map.nodes[node] = 'offline';
    const survivor = otherOnlineNode(map, [node]);
    for (const [app, host] of Object.entries(map.apps)) {
      if (host === node) moved[app] = map.apps[app] = survivor;
    }
  });
  return { killed, moved };
}

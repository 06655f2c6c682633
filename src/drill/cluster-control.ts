/**
 * What the drill does to the local demo cluster: reads node pid files (`<configdir>/<node>.pid`,
 * written by `baton demo`), sends signals, changes the static cluster map as an HA stack would,
 * and waits for the demo's supervisor to bring a killed node back.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../client/connect';
import { readStaticMap, writeStaticMap, type StaticMap } from '../cluster/static';
import type { BatonConfig } from '../config/load';
import { waitFor } from './wait';

export function mapFileOf(config: BatonConfig): string {
  if (config.clusterService.kind !== 'static') {
    throw new UserError(
      `cluster ${config.cluster} uses the ${config.clusterService.kind} cluster service; drills run against the ` +
        'demo cluster (static map): start one with `npm run demo` and pass --config .baton/baton.yaml',
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

export function pidFile(config: BatonConfig, node: string): string {
  return join(dirname(config.file), `${node}.pid`);
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
    `${node} to be restarted by the demo's supervisor (pid file ${pidFile(config, node)})`,
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

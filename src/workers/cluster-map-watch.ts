/**
 * The static cluster service's alert hook: a node process watches the map file and, when it
 * changes, signals the coordinator (`clusterChanged`), as Pacemaker's alert agent does with
 * `baton cluster notify` (docs/cluster.md). The coordinator looks at once instead of at its next
 * tick: an app move reaches its job up to a tick (1 s) sooner. The map stays the source of truth
 * (the coordinator reads it on its host), the signal only says "look now", and the tick still
 * covers a change the watch missed or a signal that failed.
 *
 * It polls the file's stat (fs.watchFile), not inotify: the map is replaced by rename
 * (writeStaticMap), and a watch on its directory would also hear every write to the catalog and
 * logs that the demo keeps beside it.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { BatonConfig } from '../config/load';
import { coordinatorWorkflowId } from '../model/names';
import { clusterChangedSignal } from '../workflows/messages';

/** How often the map's stat is read: what a move can wait before the coordinator hears of it. */
export const MAP_POLL_MS = 100;

/** Calls `onChange` when the file at `file` is replaced or rewritten; returns the stop. */
export function watchMapFile(file: string, onChange: () => void, intervalMs = MAP_POLL_MS): () => void {
  const listener = (now: Stats, before: Stats): void => {
    if (now.ino !== before.ino || now.mtimeMs !== before.mtimeMs || now.size !== before.size) onChange();
  };
  watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(file, listener);
}

/**
 * For a static cluster service: signals the coordinator on every change of the map. Null for any
 * other kind (Pacemaker has its alert agent), and for a static one with `watch: false`.
 */
export function notifyCoordinatorOnMapChange(
  config: BatonConfig,
  node: string,
  client: Client,
  logger: Logger,
): (() => void) | null {
  const service = config.clusterService;
  if (service.kind !== 'static' || !service.watch) return null;
  const coordinator = client.workflow.getHandle(coordinatorWorkflowId(config.cluster));
  return watchMapFile(service.mapFile, () => {
    coordinator
      .signal(clusterChangedSignal, { source: `static-map@${node}`, kind: 'map-changed' })
      .catch((err: unknown) => logger.debug({ err }, 'could not tell the coordinator the cluster map changed'));
  });
}

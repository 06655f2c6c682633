/**
 * The coordinator-host kill that the dev-server and real-server failover tests both run: the app
 * placed off the coordinator's host (in the static map), a backup with a first checkpoint, then SIGKILL to the node
 * that hosts the coordinator at that moment, and the event that moves it off that node: a
 * coordinator-handover, since a killed process's node stays online in the static map (a
 * coordinator-failover where the cluster service reports it down; src/model/coordinator-move.ts).
 *
 * The host is read again just before the kill: Temporal may hand the coordinator to another node
 * at any time (a loaded host that misses the 1 s sticky queue timeout; the CI rehearsal saw one
 * hand-over from node-1 to node-2 in the seconds before the kill, and the test then killed a node
 * that no longer hosted it). So the event is matched by the node it moved from, not as any new one.
 * When the hand-over lands on the app's own node (CI saw it: two busy cores, the hand-over in the
 * same second as the app's move), killing that node would kill the backup too, another drill: the
 * backup is let finish and the set-up runs again, up to three times, saying so.
 */
import assert from 'node:assert/strict';
import { clusterEvents } from '../../src/catalog/jobs';
import type { JobEventRow } from '../../src/catalog/schema';
import { coordinatorStatus, followJob } from '../../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP } from '../../src/demo/demo-files';
import { isCoordinatorMove } from '../../src/model/coordinator-move';
import { waitFor } from '../../src/util/wait';
import type { LocalCluster } from './local-cluster';

export interface CoordinatorKill {
  /** the node killed: the coordinator's host just before the kill */
  host: string;
  /** the node the app (and the job) runs on, another node */
  appNode: string;
  jobId: string;
  killedAt: number;
  /** the coordinator-handover (or -failover) event that moved it off `host` */
  failover: JobEventRow;
}

/** The node a coordinator move event says the coordinator moved from. */
function movedFrom(event: JobEventRow): string | null {
  try {
    return (JSON.parse(event.data_json ?? '{}') as { from?: string }).from ?? null;
  } catch {
    return null;
  }
}

export async function killCoordinatorHostMidBackup(
  c: LocalCluster,
  /** starts a backup of the app, expected on `node`, and waits for its first checkpoint */
  startBackupWithCheckpoint: (node: string) => Promise<string>,
  timeoutMs: number,
): Promise<CoordinatorKill> {
  const tries = 3;
  for (let attempt = 1; ; attempt++) {
    const first = (await coordinatorStatus(c.client, c.config.cluster)).host;
    assert.ok(first, 'the coordinator reports its host');
    const appNode = ['node-1', 'node-2', 'node-3'].find((n) => n !== first) ?? 'node-2';
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = appNode;
    writeStaticMap(c.files.mapFile, map);
    await waitFor(
      `coordinator to see ${DEMO_APP} on ${appNode}`,
      async () => (await coordinatorStatus(c.client, c.config.cluster)).hosts[DEMO_APP] === appNode,
    );
    const jobId = await startBackupWithCheckpoint(appNode);
    const host = (await coordinatorStatus(c.client, c.config.cluster)).host;
    assert.ok(host, 'the coordinator reports its host');
    if (host === appNode) {
      const story = `the coordinator was handed from ${first} to ${appNode}, the node of ${DEMO_APP}'s backup, before the kill`;
      assert.ok(attempt < tries, `${story}, ${tries} times in a row`);
      console.log(`coordinator kill: ${story}; letting ${jobId} finish and setting up again`);
      await followJob(c.client, jobId, () => undefined, 500);
      continue;
    }
    const seen = new Set((await clusterEvents(c.catalog, c.config.cluster)).map((e) => e.id));
    c.signal(host, 'SIGKILL');
    const killedAt = Date.now();
    const failover = await waitFor(
      `a coordinator-failover or -handover event moving it off ${host}`,
      async () =>
        (await clusterEvents(c.catalog, c.config.cluster)).find(
          (e) => isCoordinatorMove(e.kind) && !seen.has(e.id) && movedFrom(e) === host,
        ),
      timeoutMs,
    );
    return { host, appNode, jobId, killedAt, failover };
  }
}

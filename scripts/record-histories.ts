/**
 * Re-records the workflow histories the replay tests use, from real runs on a real dev server and
 * real node processes. Writes test/histories/<name>-<baton version>.json:
 *   backup-job:               a plain backup of sample-db on node-2
 *   backup-job-app-failover:  a backup of drill-db whose app moved mid-way (two attempts, checkpoint restart)
 *   coordinator-failover:     the coordinator after its host node was SIGKILLed, with both jobs in it
 *   scheduled-backup:         one run started by sample-db's schedule
 * Run with `npm run record-histories`.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { latestCheckpoint } from '../src/catalog/attempts';
import { clusterEvents, recentJobs } from '../src/catalog/jobs';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../src/cluster/static';
import { DEMO_APP, DRILL_APP } from '../src/demo/demo-files';
import { waitFor } from '../src/drill/wait';
import { startLocalCluster, type LocalCluster } from '../test/helpers/local-cluster';
import { version } from '../package.json';

const out = resolve(__dirname, '..', '..', 'test', 'histories');

async function save(cluster: LocalCluster, name: string, workflowId: string): Promise<void> {
  const history = await cluster.client.workflow.getHandle(workflowId).fetchHistory();
  const file = join(out, `${name}-${version}.json`);
  writeFileSync(file, historyToJSON(history) + '\n');
  console.log(`recorded ${workflowId}: ${history.events?.length} events -> ${file}`);
}

async function main() {
  const cluster = await startLocalCluster({ demo: { appSchedule: '{ every: 30s }' } });
  try {
    const coordinatorId = await ensureCoordinator(cluster.client, cluster.config, 1);

    const plain = await requestBackup(cluster.client, cluster.config.cluster, DEMO_APP, 'record-histories');
    if ((await followJob(cluster.client, plain.jobId, () => undefined, 500)).state !== 'succeeded')
      throw new Error('backup failed');
    await save(cluster, 'backup-job', plain.jobId);

    const moved = await requestBackup(cluster.client, cluster.config.cluster, DRILL_APP, 'record-histories');
    await waitFor('a checkpoint', () => latestCheckpoint(cluster.catalog, moved.jobId));
    const map = readStaticMap(cluster.files.mapFile);
    map.apps[DRILL_APP] = 'node-3';
    writeStaticMap(cluster.files.mapFile, map);
    const movedResult = await followJob(cluster.client, moved.jobId, () => undefined, 500);
    if (movedResult.attempts?.length !== 2)
      throw new Error(`expected two attempts, got ${movedResult.attempts?.length}`);
    await save(cluster, 'backup-job-app-failover', moved.jobId);

    const scheduled = await waitFor('a scheduled run', async () =>
      (await recentJobs(cluster.catalog, 20)).find(
        (j) => j.requested_by.startsWith('schedule:') && j.state === 'succeeded',
      ),
    );
    await save(cluster, 'scheduled-backup', scheduled.requested_by.slice('schedule:'.length));

    const host = (await coordinatorStatus(cluster.client, cluster.config.cluster)).host ?? 'node-1';
    cluster.signal(host, 'SIGKILL');
    await waitFor('the coordinator failover', async () =>
      (await clusterEvents(cluster.catalog, cluster.config.cluster)).find((e) => e.kind === 'coordinator-failover'),
    );
    await new Promise((r) => setTimeout(r, 2000));
    await save(cluster, 'coordinator-failover', coordinatorId);
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

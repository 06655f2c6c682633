/**
 * Re-records the workflow histories the replay tests use, from real runs on a real dev server and
 * real node processes: one coordinator that ran a backup, and that backup's job. Writes
 * test/histories/<workflow>-<baton version>.json. Run with `npm run record-histories`.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ensureCoordinator, followJob, requestBackup } from '../src/client/coordinator-client';
import { DEMO_APP } from '../src/demo/demo-files';
import { startLocalCluster } from '../test/helpers/local-cluster';
import { version } from '../package.json';

const out = resolve(__dirname, '..', '..', 'test', 'histories');

async function main() {
  const cluster = await startLocalCluster();
  try {
    const coordinatorId = await ensureCoordinator(cluster.client, cluster.config, 1);
    const started = await requestBackup(cluster.client, cluster.config.cluster, DEMO_APP, 'record-histories');
    const result = await followJob(cluster.client, started.jobId, () => undefined, 500);
    if (result.state !== 'succeeded') throw new Error(`backup ${result.state}: ${result.error}`);
    await new Promise((r) => setTimeout(r, 3000)); // let the coordinator tick a few times after the job
    for (const [name, workflowId] of [
      ['coordinator', coordinatorId],
      ['backup-job', started.jobId],
    ]) {
      const history = await cluster.client.workflow.getHandle(workflowId).fetchHistory();
      const file = join(out, `${name}-${version}.json`);
      writeFileSync(file, historyToJSON(history) + '\n');
      console.log(`recorded ${workflowId}: ${history.events?.length} events -> ${file}`);
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

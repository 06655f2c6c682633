/**
 * Two backups on one drive: the drill app moved onto the sample app's node, its backup (the slower:
 * about 48 MiB read at 4 MiB/s) started first, then the sample app's, which waits in the drive's
 * line until the first ends and wakes it (catalog drive-line.ts, JOB_WAITS_IN_LINE in
 * backup-job.ts). drive-line.test.ts checks it; record-histories records it.
 */
import { attemptsOf } from '../../src/catalog/attempts';
import { coordinatorStatus, followJob, requestBackup } from '../../src/client/coordinator-client';
import { moveApp } from '../../src/demo/cluster-control';
import { DEMO_APP, DEMO_APP_HOST, DRILL_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import type { LocalCluster } from './local-cluster';

export interface DriveLineRun {
  /** the job that held the drive */
  holder: string;
  /** the job that waited in line for it */
  waiter: string;
  /** the waiter's details in the Web UI while it waited */
  waitingDetails: string;
}

/** Moves `app` to `node` in the map (as `baton cluster move` does) and waits until the coordinator knows. */
export async function moveAppSeen(c: LocalCluster, app: string, node: string): Promise<void> {
  moveApp(c.config, app, node);
  await waitFor(`the coordinator to see ${app} on ${node}`, async () => {
    return (await coordinatorStatus(c.client, c.config.cluster)).hosts[app] === node;
  });
}

export async function backUpTwoOnOneDrive(c: LocalCluster): Promise<DriveLineRun> {
  const { cluster } = c.config;
  await moveAppSeen(c, DRILL_APP, DEMO_APP_HOST);
  const holder = await requestBackup(c.client, cluster, DRILL_APP, 'drive-line', true);
  await waitFor('the first backup running', async () => (await attemptsOf(c.catalog, holder.jobId)).length === 1);
  const waiter = await requestBackup(c.client, cluster, DEMO_APP, 'drive-line', true);
  if (waiter.drive !== holder.drive) throw new Error(`the jobs got drives ${holder.drive} and ${waiter.drive}`);
  let waitingDetails = '';
  await waitFor('the second backup waiting in line', async () => {
    const metadata = await c.client.workflow
      .getHandle(waiter.jobId)
      .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    waitingDetails = metadata.currentDetails ?? '';
    return waitingDetails.includes('waiting for drive');
  });
  for (const { jobId } of [holder, waiter]) {
    const result = await followJob(c.client, jobId, () => undefined, 500);
    if (result.state !== 'succeeded') throw new Error(`backup ${jobId} ${result.state}: ${result.error}`);
  }
  return { holder: holder.jobId, waiter: waiter.jobId, waitingDetails };
}

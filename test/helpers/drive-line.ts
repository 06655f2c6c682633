/**
 * Two backups on one drive: the drill app moved onto the sample app's node, its backup (the slower:
 * about 48 MiB read at 4 MiB/s) started first, then the sample app's, which waits in the drive's
 * line until the first ends and wakes it (catalog drive-line.ts, JOB_WAITS_IN_LINE in
 * backup-job.ts). And two backups whose apps swap nodes mid-way, each then asking for the drive
 * the other holds (JOB_WAKES_THE_LINE_IT_LEAVES). drive-line.test.ts checks them; record-histories
 * records them.
 */
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { moveApp } from '../../src/demo/cluster-control';
import { DEMO_APP, DEMO_APP_HOST, DRILL_APP, DRILL_APP_HOST } from '../../src/demo/demo-files';
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

export interface DriveSwapRun {
  /** the job that asked first for the other's drive, waited, and was woken */
  waiter: string;
  /** the job that took the drive the waiter let go of, and woke it */
  taker: string;
}

/**
 * The sample app (slowed to 512 KiB/s, about 15 s, by a configure) and the drill app back up on
 * their own nodes (moved back there first); after a checkpoint each, the apps swap nodes. Each
 * job's next attempt asks for the drive the other held: the first to ask waits for it and lets go
 * of its own, which the other takes at once, letting go of the first's drive and waking it.
 * Before, each held its drive while it waited for the other's, until a lease lapsed. The plan and
 * the apps are put back after.
 */
export async function swapTwoMidBackup(c: LocalCluster): Promise<DriveSwapRun> {
  const { cluster } = c.config;
  moveApp(c.config, DEMO_APP, DEMO_APP_HOST);
  await moveAppSeen(c, DRILL_APP, DRILL_APP_HOST);
  const plan = structuredClone(c.config.plan);
  for (const app of plan.apps) if (app.name === DEMO_APP) app.bandwidthLimitBytesPerSecond = 512 * 1024;
  await ensureCoordinator(c.client, { ...c.config, plan }, { tickSeconds: 1 });
  try {
    const jobs = [
      await requestBackup(c.client, cluster, DEMO_APP, 'drive-swap', true),
      await requestBackup(c.client, cluster, DRILL_APP, 'drive-swap', true),
    ];
    for (const { jobId } of jobs) await waitFor(`a checkpoint of ${jobId}`, () => latestCheckpoint(c.catalog, jobId));
    moveApp(c.config, DEMO_APP, DRILL_APP_HOST);
    await moveAppSeen(c, DRILL_APP, DEMO_APP_HOST);
    for (const { jobId } of jobs) {
      const result = await followJob(c.client, jobId, () => undefined, 500);
      if (result.state !== 'succeeded') throw new Error(`backup ${jobId} ${result.state}: ${result.error}`);
    }
    // the waiter is the one that asked beginAttemptInLine more than once for its second attempt
    const asked = await Promise.all(
      jobs.map(async ({ jobId }) => {
        const history = await c.client.workflow.getHandle(jobId).fetchHistory();
        return (history.events ?? []).filter(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'beginAttemptInLine',
        ).length;
      }),
    );
    const [waiter, taker] = asked[0] > asked[1] ? jobs : [jobs[1], jobs[0]];
    return { waiter: waiter.jobId, taker: taker.jobId };
  } finally {
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    moveApp(c.config, DEMO_APP, DEMO_APP_HOST);
    await moveAppSeen(c, DRILL_APP, DRILL_APP_HOST);
  }
}

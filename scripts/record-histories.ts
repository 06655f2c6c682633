/**
 * Re-records the workflow histories the replay tests use, from real runs on a real dev server and
 * real node processes. Writes test/histories/<name>-<baton version>.json:
 *   backup-job:               a plain backup of sample-db on node-2
 *   backup-job-app-failover:  a backup of drill-db whose app moved mid-way (two attempts, checkpoint restart)
 *   backup-job-cancelled:     a backup of drill-db cancelled mid-way (as `baton job cancel` and the Web UI do)
 *   backup-job-fresh-restart: a backup of drill-db whose app moved when its checkpoint was older than
 *                             maxCheckpointAge (two attempts, the second fresh)
 *   backup-job-drive-line, backup-job-drive-line-holder: drill-db moved onto node-2, its backup
 *                             holding node-2's drive while sample-db's waits in line, woken by the
 *                             first as it ends (test/helpers/drive-line.ts)
 *   backup-job-drive-swap, backup-job-drive-swap-taker: sample-db and drill-db swap nodes mid-backup;
 *                             the first job to ask for the other's drive waits and lets go of its own,
 *                             the taker takes it and wakes the first (test/helpers/drive-line.ts)
 *   coordinator-failover:     the coordinator after its host node was SIGKILLed, with both jobs in it
 *   scheduled-backup:         one run started by sample-db's schedule
 *   scheduled-backup-failed:  one run of that schedule whose backup failed (the app's data gone)
 *   restore:                  a restore of sample-db's latest snapshot onto node-3
 *   verify:                   a verify --read-data of node-2's drive that finds a flipped byte in a pack
 *   retention:                the retention job the coordinator started after a backup of sample-db, given
 *                             keep {last: 1}: it forgets the earlier snapshot on node-2's drive
 *   coordinator-retention:    the coordinator at that point: the configure update that set keep, the
 *                             patch marker coordinator-applies-retention, the retention child, its signal
 *   backup-job-node-failure, backup-job-isolated-node, coordinator-continue-as-new (three runs): the
 *                             fault scenarios of scripts/record-fault-histories.ts; the last on a
 *                             second cluster whose server suggests continue-as-new after 40 events
 * Run with `npm run record-histories`; `npm run record-histories -- restore verify` records only those
 * (the backups they need run, but only the named histories are written). `--label <label>` writes
 * <name>-<baton version>-<label>.json instead: a history of patched code, beside the one recorded
 * before the patch with the same version.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { latestCheckpoint } from '../src/catalog/attempts';
import { clusterEvents, recentJobs } from '../src/catalog/jobs';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../src/client/coordinator-client';
import { followOperation, startRestore, startVerify } from '../src/client/operations-client';
import { readStaticMap, writeStaticMap } from '../src/cluster/static';
import { DEMO_APP, DEMO_APP_HOST, DRILL_APP, DRILL_APP_HOST } from '../src/demo/demo-files';
import { isCoordinatorMove } from '../src/model/coordinator-move';
import { waitFor } from '../src/util/wait';
import { backUpTwoOnOneDrive, moveAppSeen, swapTwoMidBackup } from '../test/helpers/drive-line';
import { startLocalCluster, type LocalCluster } from '../test/helpers/local-cluster';
import {
  CONTINUE_AS_NEW_CONFIG,
  recordContinueAsNew,
  recordIsolatedNode,
  recordNodeFailure,
  type SaveRun,
} from './record-fault-histories';

// Read at run time, not imported: an import would copy package.json into dist/, where Node would
// take it for the package's own and resolve `import 'baton'` (examples/) against it.
const { version } = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

const out = resolve(__dirname, '..', '..', 'test', 'histories');
const ALL = [
  'backup-job',
  'backup-job-app-failover',
  'backup-job-cancelled',
  'backup-job-fresh-restart',
  'backup-job-drive-line',
  'backup-job-drive-line-holder',
  'backup-job-drive-swap',
  'backup-job-drive-swap-taker',
  'scheduled-backup',
  'scheduled-backup-failed',
  'coordinator-failover',
  'restore',
  'verify',
  'retention',
  'coordinator-retention',
  'backup-job-node-failure',
  'backup-job-isolated-node',
  'coordinator-continue-as-new',
];
const args = process.argv.slice(2);
const labelAt = args.indexOf('--label');
const label = labelAt >= 0 ? args.splice(labelAt, 2)[1] : undefined;
if (labelAt >= 0 && !label) throw new Error('--label needs a value, e.g. --label patched');
const wanted = args.length > 0 ? args : ALL;
for (const name of wanted) {
  if (!ALL.includes(name)) throw new Error(`unknown history "${name}"; choose from ${ALL.join(', ')}`);
}

async function save(cluster: LocalCluster, name: string, workflowId: string, runId?: string): Promise<void> {
  // coordinator-continue-as-new-job-finished and coordinator-repeated-request come with coordinator-continue-as-new
  const by =
    name === 'coordinator-repeated-request' ? 'coordinator-continue-as-new' : name.replace(/-job-finished$/, '');
  if (!wanted.includes(by)) return;
  const history = await cluster.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const file = join(out, `${name}-${version}${label ? `-${label}` : ''}.json`);
  writeFileSync(file, historyToJSON(history) + '\n');
  console.log(`recorded ${workflowId}: ${history.events?.length} events -> ${file}`);
}

/** Waits for a scheduled run whose backup ended `state`, and for the run itself to end; saves its history. */
async function saveScheduledRun(cluster: LocalCluster, name: string, state: 'succeeded' | 'failed'): Promise<void> {
  const since = new Date().toISOString();
  const job = await waitFor(
    `a scheduled backup that ${state}`,
    async () =>
      (await recentJobs(cluster.catalog, 20)).find(
        (j) =>
          j.requested_by.startsWith('schedule:') &&
          j.state === state &&
          (state === 'succeeded' || j.started_at > since),
      ),
    120_000,
  );
  const runId = job.requested_by.slice('schedule:'.length);
  await cluster.client.workflow
    .getHandle(runId)
    .result()
    .catch(() => undefined);
  await save(cluster, name, runId);
}

/** A full backup of drill-db cancelled after its first checkpoint, as `baton job cancel` does it. */
/** The histories of a cancelled backup, of two in a drive's line and of two swapping drives, when wanted. */
async function saveCancelledAndDriveLine(cluster: LocalCluster): Promise<void> {
  if (wanted.includes('backup-job-cancelled')) await saveCancelledBackup(cluster);
  if (wanted.some((n) => n.startsWith('backup-job-drive-line'))) await saveDriveLine(cluster);
  if (wanted.some((n) => n.startsWith('backup-job-drive-swap'))) {
    const { waiter, taker } = await swapTwoMidBackup(cluster);
    await save(cluster, 'backup-job-drive-swap', waiter);
    await save(cluster, 'backup-job-drive-swap-taker', taker);
  }
}

/** Two backups on node-2's drive, the second in line; drill-db goes back to its node after. */
async function saveDriveLine(cluster: LocalCluster): Promise<void> {
  const { holder, waiter } = await backUpTwoOnOneDrive(cluster);
  await save(cluster, 'backup-job-drive-line', waiter);
  await save(cluster, 'backup-job-drive-line-holder', holder);
  await moveAppSeen(cluster, DRILL_APP, DRILL_APP_HOST);
}

async function saveCancelledBackup(cluster: LocalCluster): Promise<void> {
  const cancelled = await requestBackup(cluster.client, cluster.config.cluster, DRILL_APP, 'record-histories', true);
  await waitFor('a checkpoint', () => latestCheckpoint(cluster.catalog, cancelled.jobId));
  const handle = cluster.client.workflow.getHandle(cancelled.jobId);
  await handle.cancel();
  await handle.result().catch(() => undefined);
  if ((await handle.describe()).status.name !== 'CANCELLED') throw new Error('the backup did not end cancelled');
  await save(cluster, 'backup-job-cancelled', cancelled.jobId);
}

/**
 * Gives sample-db keep {last: 1} (a configure update), backs it up, and waits for the retention job
 * the coordinator starts after it; saves that job's and the coordinator's histories.
 */
async function saveRetention(cluster: LocalCluster, coordinatorId: string): Promise<void> {
  const plan = structuredClone(cluster.config.plan);
  for (const app of plan.apps) if (app.name === DEMO_APP) app.keep = { last: 1 };
  await ensureCoordinator(cluster.client, { ...cluster.config, plan }, { tickSeconds: 1 });
  const since = new Date().toISOString();
  const backup = await requestBackup(cluster.client, cluster.config.cluster, DEMO_APP, 'record-histories');
  if ((await followJob(cluster.client, backup.jobId, () => undefined, 500)).state !== 'succeeded')
    throw new Error('backup failed');
  const job = await waitFor(
    'the retention job after the backup',
    async () =>
      (await recentJobs(cluster.catalog, 20)).find(
        (j) => j.kind === 'retention' && j.started_at > since && j.state !== 'running',
      ),
    60_000,
  );
  if (job.state !== 'succeeded' || Number(job.files) !== 1) throw new Error(`retention ${job.state}: ${job.error}`);
  await cluster.client.workflow.getHandle(job.id).result();
  await new Promise((r) => setTimeout(r, 2000));
  await save(cluster, 'retention', job.id);
  await save(cluster, 'coordinator-retention', coordinatorId);
}

/**
 * A full backup of drill-db whose app moves 3 s after its first checkpoint, with maxCheckpointAge
 * 2 s and checkpoints every 10 s (read at 2 MiB/s, so the backup outlasts the move): the second
 * attempt starts fresh. The plan is put back afterwards.
 */
async function saveFreshRestart(cluster: LocalCluster, to: string): Promise<void> {
  const plan = cluster.config.plan;
  const original = structuredClone(plan);
  const app = plan.apps.find((a) => a.name === DRILL_APP);
  if (!app) throw new Error(`no app ${DRILL_APP} in the plan`);
  Object.assign(app, { maxCheckpointAgeSeconds: 2, bandwidthLimitBytesPerSecond: 2 * 1024 * 1024 });
  plan.jobs.checkpointEverySeconds = 10;
  await ensureCoordinator(cluster.client, cluster.config, { tickSeconds: 1 });
  try {
    const job = await requestBackup(cluster.client, cluster.config.cluster, DRILL_APP, 'record-histories', true);
    const cp = await waitFor('a checkpoint', () => latestCheckpoint(cluster.catalog, job.jobId));
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(cp.at) + 3000 - Date.now())));
    const map = readStaticMap(cluster.files.mapFile);
    map.apps[DRILL_APP] = to;
    writeStaticMap(cluster.files.mapFile, map);
    const result = await followJob(cluster.client, job.jobId, () => undefined, 500);
    const restart = result.attempts?.[1]?.restart;
    if (result.state !== 'succeeded' || restart?.kind !== 'fresh')
      throw new Error(`expected a fresh second attempt, got ${JSON.stringify(result.attempts)}`);
    await save(cluster, 'backup-job-fresh-restart', job.jobId);
  } finally {
    cluster.config.plan = original;
    await ensureCoordinator(cluster.client, cluster.config, { tickSeconds: 1 });
  }
}

/** backup-job-node-failure and backup-job-isolated-node, on the main cluster. */
async function recordFaults(cluster: LocalCluster): Promise<void> {
  const saveRun: SaveRun = (name, workflowId, runId) => save(cluster, name, workflowId, runId);
  if (wanted.includes('backup-job-node-failure')) await recordNodeFailure(cluster, saveRun);
  if (wanted.includes('backup-job-isolated-node')) await recordIsolatedNode(cluster, saveRun);
}

async function main() {
  if (wanted.every((n) => n === 'coordinator-continue-as-new')) return;
  const cluster = await startLocalCluster({ demo: { appSchedule: '{ every: 30s }' } });
  try {
    const coordinatorId = await ensureCoordinator(cluster.client, cluster.config, { tickSeconds: 1 });

    const plain = await requestBackup(cluster.client, cluster.config.cluster, DEMO_APP, 'record-histories');
    if ((await followJob(cluster.client, plain.jobId, () => undefined, 500)).state !== 'succeeded')
      throw new Error('backup failed');
    await save(cluster, 'backup-job', plain.jobId);

    await saveCancelledAndDriveLine(cluster);

    if (wanted.includes('restore') || wanted.includes('verify')) {
      mkdirSync(join(cluster.dir, 'restores'));
      const restoreId = await startRestore(cluster.client, cluster.config, {
        app: DEMO_APP,
        snapshotId: null,
        node: 'node-3',
        target: join(cluster.dir, 'restores', 'sample-db'),
        subtree: null,
        requestedBy: 'record-histories',
      });
      const restored = await followOperation(cluster.client, restoreId, () => undefined, 500);
      if (restored.state !== 'succeeded') throw new Error(`restore ${restored.state}: ${restored.error}`);
      await save(cluster, 'restore', restoreId);

      // A flipped byte in the drive's largest pack: the verify finds it and fails naming the pack.
      const drive = cluster.config.plan.drives.find((d) => d.node === DEMO_APP_HOST);
      if (!drive) throw new Error(`no drive for ${DEMO_APP_HOST}`);
      const data = join(drive.path, 'data');
      const packs = readdirSync(data).flatMap((sub) => readdirSync(join(data, sub)).map((id) => join(data, sub, id)));
      const pack = packs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
      const bytes = readFileSync(pack);
      bytes[bytes.length >> 1] ^= 0x01;
      writeFileSync(pack, bytes);
      const verifyId = await startVerify(cluster.client, cluster.config, drive, true, 'record-histories');
      const verified = await followOperation(cluster.client, verifyId, () => undefined, 500);
      if (verified.state !== 'failed') throw new Error(`verify of a damaged drive ${verified.state}`);
      bytes[bytes.length >> 1] ^= 0x01;
      writeFileSync(pack, bytes);
      await save(cluster, 'verify', verifyId);
    }
    if (wanted.some((n) => n === 'retention' || n === 'coordinator-retention'))
      await saveRetention(cluster, coordinatorId);
    await recordFaults(cluster);
    const later = [
      'backup-job-app-failover',
      'backup-job-fresh-restart',
      'scheduled-backup',
      'scheduled-backup-failed',
      'coordinator-failover',
    ];
    if (!wanted.some((n) => later.includes(n))) return;

    const moved = await requestBackup(cluster.client, cluster.config.cluster, DRILL_APP, 'record-histories');
    await waitFor('a checkpoint', () => latestCheckpoint(cluster.catalog, moved.jobId));
    const map = readStaticMap(cluster.files.mapFile);
    map.apps[DRILL_APP] = 'node-3';
    writeStaticMap(cluster.files.mapFile, map);
    const movedResult = await followJob(cluster.client, moved.jobId, () => undefined, 500);
    if (movedResult.attempts?.length !== 2)
      throw new Error(`expected two attempts, got ${movedResult.attempts?.length}`);
    await save(cluster, 'backup-job-app-failover', moved.jobId);
    if (wanted.includes('backup-job-fresh-restart')) await saveFreshRestart(cluster, 'node-1');

    await saveScheduledRun(cluster, 'scheduled-backup', 'succeeded');
    if (wanted.includes('scheduled-backup-failed')) {
      // its data gone, the app's next backup fails (AppDataMissing), and so does its scheduled run
      const gone = `${cluster.files.appDir}.gone`;
      renameSync(cluster.files.appDir, gone);
      try {
        await saveScheduledRun(cluster, 'scheduled-backup-failed', 'failed');
      } finally {
        renameSync(gone, cluster.files.appDir);
      }
    }

    const host = (await coordinatorStatus(cluster.client, cluster.config.cluster)).host ?? 'node-1';
    cluster.signal(host, 'SIGKILL');
    await waitFor('the coordinator failover', async () =>
      (await clusterEvents(cluster.catalog, cluster.config.cluster)).find((e) => isCoordinatorMove(e.kind)),
    );
    await new Promise((r) => setTimeout(r, 2000));
    await save(cluster, 'coordinator-failover', coordinatorId);
  } finally {
    await cluster.stop();
  }
}

/** coordinator-continue-as-new, on a cluster of its own: its server suggests continue-as-new early. */
async function recordOnSecondCluster(): Promise<void> {
  if (!wanted.includes('coordinator-continue-as-new')) return;
  const cluster = await startLocalCluster({ dynamicConfig: CONTINUE_AS_NEW_CONFIG });
  try {
    await recordContinueAsNew(cluster, (name, workflowId, runId) => save(cluster, name, workflowId, runId));
  } finally {
    await cluster.stop();
  }
}

main()
  .then(recordOnSecondCluster)
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });

/**
 * A job's history does not grow with its length (docs/restart-policy.md, "History size"): on a
 * real dev server with three node processes, a backup slowed by the app's bandwidth limit to
 * more than half a minute writes no event to its job's history while its attempt runs, and as many
 * events in all as a backup of the same data at full speed; a restore and a verify slowed the same
 * way (the jobs' operationBandwidthLimit) write none while their activity runs. Their live progress still reaches viewers, from the activities' heartbeat
 * details (`describe()`): `followJob`/`followOperation` (the CLI and the demo) and the drills'
 * ProgressWatch see it move, with a one-line summary, and the Web UI's current details say where it is.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secondNodeSkip } from '../helpers/first-node';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { backupProgress, operationProgress } from '../../src/client/live-progress';
import { followOperation, startRestore, startVerify } from '../../src/client/operations-client';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { ProgressWatch } from '../../src/drill/progress-watch';
import type { BackupProgress } from '../../src/model/backup';
import type { OperationProgress, OperationResult } from '../../src/model/operations';
import type { BatonConfig } from '../../src/config/load';
import { activityWindows, historyOf } from '../helpers/history-growth';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { baton } from '../helpers/cli';
import { compareTrees } from '../helpers/tree';

const KiB = 1024;
/** 160 files of about 256 KiB: 40 MiB. */
const APP = { appFiles: 160, appFileKiB: 256 };
/** The slow backup's pace: 40 MiB in about 32 s. */
const SLOW_RATE = 1280 * KiB;
/** A slowed activity runs at least this long: 30 or so progress reports at one a second. */
const SLOW_MS = 28_000;

/** The config with the sample app's bandwidth limit set to `rate` (handed to the coordinator). */
function withLimit(config: BatonConfig, rate: number): BatonConfig {
  const apps = config.plan.apps.map((a) => (a.name === DEMO_APP ? { ...a, bandwidthLimitBytesPerSecond: rate } : a));
  return { ...config, plan: { ...config.plan, apps } };
}

/** The config with restores and verifies paced to `rate` (the client hands it to their workflows). */
function withOperationLimit(config: BatonConfig, rate: number): BatonConfig {
  return {
    ...config,
    plan: { ...config.plan, jobs: { ...config.plan.jobs, operationBandwidthLimitBytesPerSecond: rate } },
  };
}

describe('history size does not grow with a job’s length', { timeout: 600_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  let fastEvents = 0;

  before(async () => {
    c = await startLocalCluster({ demo: APP });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    const fast = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test', true);
    const result = await followJob(c.client, fast.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    fastEvents = (await historyOf(c.client, fast.jobId)).length;
  });
  after(async () => c?.stop());

  test('a backup slowed to over half a minute writes no event while it runs, and its progress reaches every viewer', async () => {
    await ensureCoordinator(c.client, withLimit(c.config, SLOW_RATE), { tickSeconds: 1 });
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test', true);
    const watch = new ProgressWatch(c.client, started.jobId, 500).start();
    const handle = c.client.workflow.getHandle(started.jobId);
    const seen: BackupProgress[] = [];
    const summaries = new Set<string>();
    let details = '';
    let status = null as { jobId: string; progress: string | null }[] | null;
    const result = await followJob(
      c.client,
      started.jobId,
      (view) => {
        if (view.progress) seen.push(view.progress);
        if (view.progress && view.progress.bytes > 0 && status === null) {
          const r = baton(['status', '--json', '--config', c.files.configFile]);
          assert.equal(r.code, 0, r.stderr);
          status = (JSON.parse(r.stdout) as { running: { jobId: string; progress: string | null }[] }).running;
        }
        void backupProgress(c.client, started.jobId)
          .then((beat) => beat && summaries.add(beat.summary))
          .catch(() => undefined);
        if (view.state === 'running' && !details) {
          void handle
            .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
            .then((m) => (details = m.currentDetails ?? ''))
            .catch(() => undefined);
        }
      },
      1000,
    );
    await watch.stop();
    assert.equal(result.state, 'succeeded', result.error);

    const events = await historyOf(c.client, started.jobId);
    const [window] = activityWindows(events, 'backupAttempt');
    console.log(
      `slow backup: ${Math.round(window.ms / 1000)} s running, ${window.events} events while it ran ` +
        `(${window.perMinute.toFixed(2)}/min), ${events.length} events in all; ` +
        `the same backup at full speed: ${fastEvents} events`,
    );
    assert.ok(window.ms >= SLOW_MS, `the slowed backup ran only ${window.ms} ms`);
    assert.equal(window.events, 0, `events while the attempt ran: ${window.kinds.join(', ')}`);
    // a 30-second backup and one of a few seconds: the same history, within an event or two
    assert.ok(events.length <= fastEvents + 2, `${events.length} events against ${fastEvents} at full speed`);

    // the CLI's follow saw the progress move, about every second, on the attempt's epoch
    assert.ok(seen.length >= 25, `only ${seen.length} progress views in ${window.ms} ms`);
    const bytes = seen.map((p) => p.bytes);
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => a - b),
      'progress moves forward',
    );
    assert.ok(new Set(bytes).size >= 25, `${new Set(bytes).size} distinct figures`);
    assert.ok(
      seen.some((p) => p.checkpointAt !== null),
      'no checkpoint reported',
    );
    assert.ok(
      seen.some((p) => p.totalBytes > 0 && p.etaSeconds !== null),
      'no estimate from the previous snapshot',
    );
    // the drills' watch read it too, and the Web UI's heartbeat details read as one line
    const epoch = result.attempts?.at(-1)?.epoch ?? 0;
    assert.ok((watch.lastBytes(epoch) ?? 0) >= bytes[Math.floor(bytes.length / 2)], 'the drill watch lags behind');
    assert.ok(
      [...summaries].some((s) =>
        // (the rate's unit follows its size: at 1280 KiB/s mostly MiB/s, KiB/s or B/s while it ramps up)
        /^\d+%: \d+ of about \d+ files, [\d.]+ MiB of about 40\.\d MiB at [\d.]+ (B|KiB|MiB)\/s, /.test(s),
      ),
      [...summaries].slice(0, 3).join(' | '),
    );
    // `baton status` shows the running job's progress line
    assert.equal(status?.[0]?.jobId, started.jobId);
    assert.match(status?.[0]?.progress ?? '', /^\d+%: \d+ of about \d+ files, /);
    assert.match(details, /\*\*running\*\* backup of `sample-db` on `node-2` to drive `node-2-disk`, attempt 1/);
    assert.match(details, /live progress: the `summary` in the heartbeat details of the pending `backupAttempt`/);
  });

  /** Follows the operation, checks it wrote no event while its activity ran for over half a minute, and that its progress moved. */
  async function slowOperation(jobId: string, activityType: string, minFigures: number): Promise<OperationResult> {
    const seen: OperationProgress[] = [];
    const summaries = new Set<string>();
    const result = await followOperation(
      c.client,
      jobId,
      (v) => {
        if (v.progress && v.state === 'running') seen.push(v.progress);
        void operationProgress(c.client, jobId)
          .then((beat) => beat && summaries.add(beat.summary))
          .catch(() => undefined);
      },
      1000,
    );
    assert.equal(result.state, 'succeeded', result.error);
    const events = await historyOf(c.client, jobId);
    const [window] = activityWindows(events, activityType);
    console.log(
      `${activityType}: ${Math.round(window.ms / 1000)} s running, ${window.events} events while it ran ` +
        `(${window.perMinute.toFixed(2)}/min), ${events.length} events in all`,
    );
    assert.ok(window.ms >= SLOW_MS, `the slowed ${activityType} ran only ${window.ms} ms`);
    assert.equal(window.events, 0, `${activityType}: events while it ran: ${window.kinds.join(', ')}`);
    const bytes = seen.map((p) => p.bytes);
    assert.ok(
      new Set(bytes.filter((b) => b > 0)).size >= minFigures,
      `${activityType}: ${new Set(bytes).size} distinct progress figures`,
    );
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => a - b),
      'progress moves forward',
    );
    assert.ok(
      [...summaries].some((s) => / at [\d.]+ KiB\/s/.test(s)),
      [...summaries].slice(0, 3).join(' | '),
    );
    return result;
  }

  test('a restore slowed to over half a minute writes no event while it runs, and its progress reaches the CLI', async () => {
    const target = join(c.dir, 'restores', 'growth');
    mkdirSync(join(c.dir, 'restores'), { recursive: true });
    const config = withOperationLimit(c.config, SLOW_RATE);
    const jobId = await startRestore(c.client, config, {
      app: DEMO_APP,
      snapshotId: null,
      node: 'node-3',
      target,
      subtree: null,
      requestedBy: 'test',
    });
    // the restore reports every file: about every half second here
    await slowOperation(jobId, 'restoreSnapshot', 25);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);
  });

  test('a verify slowed to over half a minute writes no event while it runs, and its progress reaches the CLI', async () => {
    const drive = c.config.plan.drives.find((d) => d.name === `${DEMO_APP_HOST}-disk`);
    assert.ok(drive);
    const config = withOperationLimit(c.config, SLOW_RATE);
    // the verify reports every pack it read (16 MiB): at this pace one every 13 s
    const result = await slowOperation(await startVerify(c.client, config, drive, true, 'test'), 'verifyDrive', 2);
    assert.ok((result.verify?.bytesRead ?? 0) > (SLOW_MS / 1000) * SLOW_RATE, String(result.verify?.bytesRead));
  });
});

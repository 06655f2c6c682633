/**
 * Every job ends, and ending releases everything: a backup cancelled (the temporal CLI, and
 * `baton job cancel`) or terminated from outside Baton leaves no catalog row running, no drive
 * lease held and no job the coordinator still counts, so the app is backed up again at once; so
 * does one that fails because the cluster service cannot say where its app went. A job that ends
 * by itself, succeeded or cancelled, tells the coordinator by the jobEnded update. A job planned for
 * a requester that never starts it is given up after its window, and started late it does not run.
 * A real dev server, three real node processes, a rate-limited backup that runs ~40 s.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { getJob, jobEvents } from '../../src/catalog/jobs';
import { coordinatorStatus, followJob, requestBackup } from '../../src/client/coordinator-client';
import { sendCoordinatorUpdate } from '../../src/client/coordinator-update';
import { startPlannedJob } from '../../src/client/planned-job-start';
import { START_GRACE_MS } from '../../src/model/backup-job-start';
import { coordinatorWorkflowId } from '../../src/model/names';
import { startBackupUpdate } from '../../src/workflows/messages';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { replaceCoordinator, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

/**
 * From stopping a job to the app's next backup succeeding: the reconcile's interval (2 s here) plus
 * a backup of unchanged data (~3 s); 20 s leaves room for a loaded 2-core machine.
 */
const BACKED_UP_AGAIN_WITHIN_MS = 20_000;

/** The window a requester has to start a job planned for it (60 s by default). */
const START_WINDOW_S = 10;

describe('every job ends', { timeout: 600_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  let temporal: string;

  /** The temporal CLI against the test's server, as an operator would run it. */
  const temporalCli = (args: string[]) => {
    const r = spawnSync(temporal, [...args, '--address', c.address, '--namespace', c.config.temporal.namespace], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, `temporal ${args.join(' ')}: ${r.stderr}`);
  };

  /** A full backup of the demo app, running with a first checkpoint saved. */
  const runningBackup = async (): Promise<string> => {
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'job-ends-test', true);
    await waitFor('a first checkpoint', () => latestCheckpoint(c.catalog, started.jobId), 60_000);
    return started.jobId;
  };

  /** The job's row ended `state`, its lease is gone, and the coordinator no longer counts it. */
  const released = async (jobId: string, state: string, withinMs = 60_000) => {
    const row = await waitFor(
      `${jobId} to end ${state} in the catalog`,
      async () => {
        const job = await getJob(c.catalog, jobId);
        return job?.state === state ? job : undefined;
      },
      withinMs,
    );
    const leases = await c.catalog.selectFrom('drive_leases').selectAll().where('job_id', '=', jobId).execute();
    assert.deepEqual(leases, [], 'the drive lease is released');
    const attempts = await attemptsOf(c.catalog, jobId);
    assert.ok(attempts.length > 0 && attempts.every((a) => a.ended_at !== null), 'every attempt ended');
    await waitFor('the coordinator to drop the job', async () => {
      const s = await coordinatorStatus(c.client, c.config.cluster);
      return !s.running.some((j) => j.jobId === jobId) && s.recent.some((j) => j.jobId === jobId && j.state === state);
    });
    return row;
  };

  /** A new backup of the app is accepted and succeeds; returns ms from `since`. */
  const backedUpAgain = async (since: number): Promise<number> => {
    const again = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'job-ends-test');
    const result = await followJob(c.client, again.jobId, () => undefined);
    assert.equal(result.state, 'succeeded', result.error);
    const ms = Date.now() - since;
    assert.ok(ms < BACKED_UP_AGAIN_WITHIN_MS, `backed up again after ${ms} ms`);
    return ms;
  };

  /** How the job's reportJobEnd activity told the coordinator: its result, from the job's history. */
  const toldBy = async (jobId: string): Promise<unknown> => {
    const events = (await c.client.workflow.getHandle(jobId).fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reportJobEnd');
    assert.ok(scheduled, `${jobId} ran reportJobEnd`);
    const completed = events.find(
      (e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
    );
    const payload = completed?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    assert.ok(payload, `${jobId}: reportJobEnd completed`);
    return defaultPayloadConverter.fromPayload(payload);
  };

  before(async () => {
    temporal = ensureTemporalCli();
    c = await startLocalCluster({
      demo: {
        // 40 MiB at 1 MiB/s: a full backup runs ~40 s, long enough to be stopped mid-way.
        appFiles: 160,
        appFileKiB: 256,
        jobs: { heartbeatTimeout: '3s', scheduleToStartTimeout: '10s', checkpointEvery: '1s' },
        appBandwidthLimit: 1024 * 1024,
      },
    });
    await replaceCoordinator(
      c,
      { tickSeconds: 1, reconcileSeconds: 2, startWindowSeconds: START_WINDOW_S },
      'job-ends test: started again with short timings',
    );
    await waitFor('the coordinator’s first observation', async () => (await coordinatorStatus(c.client, 'demo')).host);
    // A first snapshot, so "backed up again" measures the release, not a first read of all the data.
    const first = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'job-ends-test');
    assert.equal((await followJob(c.client, first.jobId, () => undefined)).state, 'succeeded');
  });
  after(async () => c?.stop());

  test('a job that succeeds tells the coordinator by the jobEnded update', async () => {
    const { jobId } = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'job-ends-test');
    assert.equal((await followJob(c.client, jobId, () => undefined)).state, 'succeeded');
    await released(jobId, 'succeeded');
    assert.equal(await toldBy(jobId), 'update');
    const described = await c.client.workflow.getHandle(jobId).describe();
    assert.equal(described.parentExecution, undefined, 'the requester started the job, not the coordinator');
  });

  test('a job planned for a requester that never starts it is closed after its window; started later, it ends at once', async () => {
    // What a requester that died right after the coordinator's answer leaves behind.
    const coordinatorId = coordinatorWorkflowId(c.config.cluster);
    const request = { app: DEMO_APP, requestedBy: 'job-ends-test', startsJob: true };
    const planned = await sendCoordinatorUpdate(c.client, coordinatorId, startBackupUpdate, request);
    const job = planned.job;
    assert.ok(job?.startBy, 'the answer carries the job and its window');
    await assert.rejects(
      requestBackup(c.client, c.config.cluster, DEMO_APP, 'job-ends-test'),
      /already has a backup running/,
      'its app is held meanwhile',
    );
    await waitFor('the coordinator to give the job up', async () => {
      const s = await coordinatorStatus(c.client, c.config.cluster);
      return !s.running.some((j) => j.jobId === job.jobId);
    });
    const given = Date.now();
    const afterMs = given - Date.parse(job.startBy);
    assert.ok(afterMs >= START_GRACE_MS, `given up ${afterMs} ms after its window closed, not before its grace`);
    const events = await jobEvents(c.catalog, job.jobId);
    assert.ok(
      events.some((e) => e.kind === 'job-closed' && /not known to Temporal/.test(e.message)),
      events.map((e) => `${e.kind}: ${e.message}`).join('; '),
    );
    // The requester comes back late: its start goes through, and the job refuses to run.
    assert.equal(await startPlannedJob(c.client, job), 'started');
    await assert.rejects(c.client.workflow.getHandle(job.jobId).result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'StartedTooLate');
      return true;
    });
    assert.equal(await getJob(c.catalog, job.jobId), undefined, 'the late job recorded nothing');
    assert.equal(await startPlannedJob(c.client, job), 'already', 'and its ID is not run again');
    const ms = await backedUpAgain(given);
    console.log(
      `never started: given up ${(afterMs / 1000).toFixed(1)} s after its window, backed up again after ${(ms / 1000).toFixed(1)} s`,
    );
  });

  test('a job cancelled with the temporal CLI records its end and frees its app and drive', async () => {
    const jobId = await runningBackup();
    const cancelled = Date.now();
    temporalCli(['workflow', 'cancel', '--workflow-id', jobId]);
    const row = await released(jobId, 'cancelled');
    const closedMs = Date.now() - cancelled;
    assert.equal(row.error, 'cancelled by request');
    const attempts = await attemptsOf(c.catalog, jobId);
    assert.equal(attempts.at(-1)?.outcome, 'cancelled');
    assert.ok((await jobEvents(c.catalog, jobId)).some((e) => e.kind === 'job-cancelled'));
    const status = (await c.client.workflow.getHandle(jobId).describe()).status.name;
    assert.equal(status, 'CANCELLED');
    assert.equal(await toldBy(jobId), 'update');
    const ms = await backedUpAgain(cancelled);
    console.log(
      `cancel (temporal CLI): ended ${(closedMs / 1000).toFixed(1)} s after, backed up again after ${(ms / 1000).toFixed(1)} s`,
    );
  });

  test('a job terminated with the temporal CLI is closed by the coordinator’s reconcile', async () => {
    const jobId = await runningBackup();
    const terminated = Date.now();
    temporalCli(['workflow', 'terminate', '--workflow-id', jobId, '--reason', 'job-ends test']);
    const row = await released(jobId, 'failed');
    const closedMs = Date.now() - terminated;
    assert.match(row.error ?? '', /its workflow was terminated without recording its end; closed by the coordinator/);
    const events = await jobEvents(c.catalog, jobId);
    assert.ok(
      events.some((e) => e.kind === 'job-closed'),
      events.map((e) => e.kind).join(', '),
    );
    const ms = await backedUpAgain(terminated);
    console.log(
      `terminate (temporal CLI): closed ${(closedMs / 1000).toFixed(1)} s after, backed up again after ${(ms / 1000).toFixed(1)} s`,
    );
  });

  test('a job whose app the cluster service cannot place fails, and frees its app and drive', async () => {
    const jobId = await runningBackup();
    const map = c.files.mapFile;
    renameSync(map, `${map}.away`);
    try {
      // The attempt's node dies: the job asks the cluster service where the app went, which fails.
      c.signal(DEMO_APP_HOST, 'SIGKILL');
      // appHost's 10 tries, about 40 s, after the 3 s heartbeat timeout.
      const row = await released(jobId, 'failed', 120_000);
      assert.match(row.error ?? '', /^the job stopped on an error: cluster map .* cannot be read/);
      // the job fails after it recorded its end and told the coordinator: a moment after both
      await waitFor('the job’s workflow to fail', async () =>
        (await c.client.workflow.getHandle(jobId).describe()).status.name === 'FAILED' ? true : undefined,
      );
    } finally {
      renameSync(`${map}.away`, map);
      c.restart(DEMO_APP_HOST);
    }
    await backedUpAgain(Date.now());
  });

  test('baton job cancel cancels a running job and waits for its end', async () => {
    const jobId = await runningBackup();
    const since = Date.now();
    const r = baton(['job', 'cancel', jobId, '--config', c.files.configFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${jobId}: cancelled after \\d+ ms$`, 'm'));
    await released(jobId, 'cancelled');
    const again = baton(['job', 'cancel', jobId, '--config', c.files.configFile]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), `baton: job "${jobId}" already ended (cancelled); there is nothing to cancel`);
    const unknown = baton(['job', 'cancel', 'no-such-job', '--config', c.files.configFile]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim(), 'baton: no job "no-such-job" in Temporal; list recent jobs with `baton jobs`');
    const shown = baton(['job', jobId, '--config', c.files.configFile]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /: cancelled, backup of/);
    await backedUpAgain(since);
  });
});

/**
 * The backup activity on a real drive and a real SQLite catalog, in MockActivityEnvironment: an
 * attempt fenced off by a newer epoch, a node cut off from Temporal, a cancellation, engine errors
 * turned into the failures the job reads, and heartbeats throttled while progress still flows.
 * Slow cases pace the engine with the app's bandwidth limit, so there is time to act mid-backup.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import {
  createBackupActivities,
  progressReporter,
  type BackupActivityDeps,
} from '../../../src/activities/backup-activities';
import { beginAttempt } from '../../../src/catalog/attempts';
import { settleMovedAttempt } from '../../../src/catalog/attempt-commits';
import { jobEvents, jobStarted } from '../../../src/catalog/jobs';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { AbortedError, listSnapshots, openDrive, type Checkpoint } from '../../../src/engine';
import type { BackupAttemptInput, BackupOutcome } from '../../../src/model/backup';
import { backupHeartbeatOf, type BackupHeartbeat } from '../../../src/model/heartbeat';
import { isFinalBackupFailure } from '../../../src/model/failures';
import { DEFAULT_JOB_SETTINGS, type DriveSpec, type JobSettings } from '../../../src/model/plan';
import { waitFor } from '../../../src/util/wait';
import { decideRestart } from '../../../src/workflows/restart-policy';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const logger = pino({ level: 'silent' });
const MiB = 1024 * 1024;
const NODE = 'n1';
const CLUSTER = 'test';

/** What the activity heartbeats: its progress with a summary, and its last checkpoint. */
type Beat = BackupHeartbeat;

/** The job's restart decision when its app moved from n1 to n2 and the node's check said `check`. */
function decisionAfterMove(
  checkpoint: Parameters<typeof decideRestart>[0]['checkpoint'],
  check: { readable: boolean; problem?: string },
): ReturnType<typeof decideRestart> {
  return decideRestart({
    policy: 'checkpoint',
    maxCheckpointAgeSeconds: 3600,
    checkpoint,
    nowMs: Date.now(),
    cause: 'app moved from n1 to n2',
    readable: check.readable,
    problem: check.problem,
    nextNode: 'n2',
  });
}

interface PlanOptions {
  paths?: string[];
  /** The node the attempt is for, and its drive's node (both NODE unless set). */
  node?: string;
  driveNode?: string;
  tape?: { volumeSize: number; volumes: number };
  bandwidth?: number;
  settings?: Partial<JobSettings>;
}

describe('backup activity', { timeout: 120_000 }, () => {
  const tmp = tempDir('baton-backup-act-').path;
  /** 20 files of 64 KiB: a backup that is over at once. */
  const small = join(tmp, 'small');
  /** 48 files of 256 KiB (12 MiB): seconds long under a bandwidth limit. */
  const large = join(tmp, 'large');
  let catalog: Catalog;

  /** Job `name` of app `app-<name>`, attempt 1 on NODE to drive `<tmp>/drives/<name>`. */
  const plan = (name: string, o: PlanOptions = {}): BackupAttemptInput => {
    const drive: DriveSpec = {
      name: `d-${name}`,
      node: o.driveNode ?? NODE,
      kind: o.tape ? 'tape' : 'directory',
      path: join(tmp, 'drives', name),
      ...o.tape,
    };
    const app = {
      name: `app-${name}`,
      paths: o.paths ?? [small],
      restart: 'checkpoint' as const,
      maxCheckpointAgeSeconds: 3600,
      bandwidthLimitBytesPerSecond: o.bandwidth ?? 0,
      schedule: null,
    };
    return {
      job: {
        cluster: CLUSTER,
        jobId: `baton-backup-${name}`,
        coordinatorId: 'coordinator',
        app,
        node: NODE,
        drive,
        drives: [drive],
        settings: { ...DEFAULT_JOB_SETTINGS, ...o.settings },
        requestedBy: 'test',
        full: false,
      },
      attempt: { number: 1, epoch: 1, node: o.node ?? NODE, drive },
      resumeFrom: null,
    };
  };

  /** Records the job and begins its attempt in the catalog (which issues the epoch), and creates its drive (unless told not to). */
  const begin = async (input: BackupAttemptInput, withDrive = true): Promise<BackupAttemptInput> => {
    const { job, attempt } = input;
    const now = new Date().toISOString();
    await jobStarted(catalog, job, now);
    const epoch = await beginAttempt(
      catalog,
      { cluster: CLUSTER, jobId: job.jobId, number: attempt.number, node: attempt.node, drive: attempt.drive.name },
      now,
    );
    const { kind, volumeSize, volumes } = attempt.drive;
    if (withDrive) await createDrive(attempt.drive.path, { kind, volumeSize, volumes });
    return { ...input, attempt: { ...attempt, epoch } };
  };

  /** A newer attempt of the job begins in the catalog: it takes the next epoch. */
  const beginNext = (input: BackupAttemptInput): Promise<number> =>
    beginAttempt(
      catalog,
      { cluster: CLUSTER, jobId: input.job.jobId, number: 2, node: 'n2', drive: input.attempt.drive.name },
      new Date().toISOString(),
    );

  const deps = (over: Partial<BackupActivityDeps> = {}): BackupActivityDeps => ({
    node: NODE,
    logger,
    catalog,
    password: PASSWORD,
    encryption: true,
    cacheDir: join(tmp, 'cache'),
    msSinceTemporalReached: () => 0,
    ...over,
  });

  /** Runs the attempt in an activity context (MockActivityEnvironment's run does not infer the result type). */
  const run = (env: MockActivityEnvironment, d: BackupActivityDeps, input: BackupAttemptInput) =>
    env.run<[], BackupOutcome, () => Promise<BackupOutcome>>(() => createBackupActivities(d).backupAttempt(input));

  /** What a run rejected with (it must reject). */
  const rejection = (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      () => assert.fail('the attempt committed'),
      (e: unknown) => e,
    );
  const failureOf = async (p: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await rejection(p);
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  };

  const snapshotsOn = async (input: BackupAttemptInput) =>
    listSnapshots(await openDrive(input.attempt.drive.path, { password: PASSWORD }));
  const eventsOf = async (input: BackupAttemptInput, kind: string) =>
    (await jobEvents(catalog, input.job.jobId)).filter((e) => e.kind === kind);
  const checkpointsOf = (input: BackupAttemptInput) =>
    catalog.selectFrom('checkpoints').selectAll().where('job_id', '=', input.job.jobId).orderBy('seq').execute();

  before(async () => {
    catalog = await openCatalog(`sqlite:${join(tmp, 'catalog.db')}`);
    mkdirSync(small);
    for (let i = 0; i < 20; i++) writeFileSync(join(small, `s-${i}`), prng(`s${i}`, 64 * 1024));
    mkdirSync(large);
    for (let i = 0; i < 48; i++)
      writeFileSync(join(large, `l-${String(i).padStart(2, '0')}`), prng(`l${i}`, 256 * 1024));
  });
  after(() => catalog.destroy());

  test('an attempt commits a snapshot of the app and saves its checkpoints under its epoch', async () => {
    const input = await begin(plan('ok', { paths: [large], settings: { checkpointEveryBytes: 4 * MiB } }));
    const out = await run(new MockActivityEnvironment(), deps(), input);
    assert.equal(out.files, 48);
    assert.equal(out.bytes, 12 * MiB);
    assert.equal(out.drive, input.attempt.drive.path);
    assert.deepEqual(
      (await snapshotsOn(input)).map((s) => s.id),
      [out.snapshotId],
    );
    const cps = await checkpointsOf(input);
    assert.ok(cps.length >= 2, `${cps.length} checkpoints`);
    assert.ok(cps.every((c) => c.epoch === input.attempt.epoch && c.node === NODE));
  });

  test('checkpoints are sealed with the drive key; the next node opens them, and refuses one altered or moved', async () => {
    const input = await begin(plan('sealed', { paths: [large], settings: { checkpointEveryBytes: 4 * MiB } }));
    await run(new MockActivityEnvironment(), deps(), input);
    const cps = await checkpointsOf(input);
    assert.ok(cps.length >= 2, `${cps.length} checkpoints`);
    const driveId = (await openDrive(input.attempt.drive.path, { password: PASSWORD })).id;
    for (const cp of cps) {
      assert.deepEqual(
        [cp.seal, cp.drive_id, cp.drive_path, cp.data_json],
        ['aes-256-gcm', driveId, input.attempt.drive.path, ''],
      );
      assert.doesNotMatch(Buffer.from(cp.sealed ?? '', 'base64').toString('latin1'), /l-0\d/, 'no file name in clear');
    }
    const ref = (jobId: string, seq: number) => ({
      jobId,
      checkpoint: { seq, at: cps[0].at, epoch: cps[0].epoch, node: NODE, files: 1, bytes: 1 },
    });
    const activities = createBackupActivities(deps());
    const check = (r: ReturnType<typeof ref>) => activities.canReadCheckpoint(r);
    assert.deepEqual(await check(ref(input.job.jobId, cps[1].seq)), { readable: true });

    // row 1's sealed bytes put in row 2's place, then into another job's first row
    const refusal = new RegExp(
      `checkpoint (\\d+) of job (\\S+) does not open with drive ${driveId}'s key: the authentication tag does not verify`,
    );
    await catalog
      .updateTable('checkpoints')
      .set({ sealed: cps[0].sealed })
      .where('job_id', '=', input.job.jobId)
      .where('seq', '=', cps[1].seq)
      .execute();
    const moved = await check(ref(input.job.jobId, cps[1].seq));
    assert.equal(moved.readable, false);
    assert.match(moved.problem ?? '', refusal);
    const other = await begin(plan('sealed-other'), false);
    await catalog
      .insertInto('checkpoints')
      .values({ ...cps[0], job_id: other.job.jobId })
      .execute();
    const copied = await check(ref(other.job.jobId, cps[0].seq));
    assert.match(copied.problem ?? '', refusal);
    assert.match(copied.problem ?? '', new RegExp(`of job ${other.job.jobId} `));

    // and an attempt told to resume from the moved row fails without trusting it
    const resumed = { ...input, resumeFrom: ref(input.job.jobId, cps[1].seq).checkpoint };
    const err = await rejection(run(new MockActivityEnvironment(), deps(), resumed));
    assert.match(String(err), refusal);
  });

  test('a checkpoint written on a format 5 drive is not resumed onto a format 6 drive: the check says why, the attempt is not final, the job restarts fresh', async () => {
    // attempt 1 writes to a format 5 drive (unkeyed IDs) and checkpoints; the app then moves to a
    // node whose drive is format 6 (keyed IDs): the checkpoint's chunks cannot be reused there
    const input = await begin(plan('format5', { paths: [large], settings: { checkpointEveryBytes: 4 * MiB } }), false);
    await createDrive(input.attempt.drive.path, { formatVersion: 5 });
    await run(new MockActivityEnvironment(), deps(), input);
    const cps = await checkpointsOf(input);
    assert.ok(cps.length >= 1, `${cps.length} checkpoints`);
    const checkpoint = { seq: cps[0].seq, at: cps[0].at, epoch: cps[0].epoch, node: NODE, files: 1, bytes: 1 };
    const newer: DriveSpec = { name: 'd-format6', node: NODE, kind: 'directory', path: join(tmp, 'drives', 'format6') };
    await createDrive(newer.path);
    const activities = createBackupActivities(deps());
    const jobId = input.job.jobId;

    const check = await activities.canReadCheckpoint({ jobId, checkpoint, drive: newer });
    assert.equal(check.readable, false);
    assert.match(
      check.problem ?? '',
      /\(unkeyed IDs \(format 5\)\) cannot be reused on drive .*\/format6 \(content key [0-9a-f]{32}\): their chunks are cut and named under different keys; nothing was written\. Start a fresh backup.* \(drive d-format6 of node n1\)$/,
    );
    // onto its own format 5 drive it resumes; asked without a drive (histories before it was asked), as before
    assert.deepEqual(await activities.canReadCheckpoint({ jobId, checkpoint, drive: input.attempt.drive }), {
      readable: true,
    });
    assert.deepEqual(await activities.canReadCheckpoint({ jobId, checkpoint }), { readable: true });

    // the job's decision from that answer: fresh, and the reason names the mismatch
    const decision = decisionAfterMove(checkpoint, check);
    assert.equal(decision.kind, 'fresh');
    assert.match(decision.reason, /cannot read the checkpoint's data written on n1: .*unkeyed IDs \(format 5\)/);

    // an attempt sent to resume it anyway (asked before the drive existed) is refused, and not finally:
    // nothing is written on the format 6 drive and the job goes on to its next attempt
    const epoch = await beginNext(input);
    const resumed: BackupAttemptInput = {
      ...input,
      attempt: { number: 2, epoch, node: NODE, drive: newer },
      resumeFrom: checkpoint,
    };
    const f = await failureOf(run(new MockActivityEnvironment(), deps(), resumed));
    assert.equal(f.type, 'CheckpointRefused');
    assert.equal(f.nonRetryable, false);
    assert.equal(isFinalBackupFailure(f.type), false);
    assert.match(f.message, /unkeyed IDs \(format 5\)\) cannot be reused on drive .*\(drive d-format6 on node n1\)$/);
    assert.deepEqual(await snapshotsOn(resumed), []);
  });

  test('a checkpoint whose packs are gone from its drive is not readable: the check says which, the job restarts fresh', async () => {
    const input = await begin(plan('gone', { paths: [large], settings: { checkpointEveryBytes: 4 * MiB } }));
    await run(new MockActivityEnvironment(), deps(), input);
    const cps = await checkpointsOf(input);
    assert.ok(cps.length >= 1, `${cps.length} checkpoints`);
    const checkpoint = { seq: cps[0].seq, at: cps[0].at, epoch: cps[0].epoch, node: NODE, files: 1, bytes: 1 };
    const activities = createBackupActivities(deps());
    const jobId = input.job.jobId;
    const drive = input.attempt.drive;
    assert.deepEqual(await activities.canReadCheckpoint({ jobId, checkpoint, drive }), { readable: true });

    // the packs swept off the drive (as prune sweeps those of a backup whose lock went stale)
    const data = join(drive.path, 'data');
    for (const sub of readdirSync(data)) rmSync(join(data, sub), { recursive: true });
    const check = await activities.canReadCheckpoint({ jobId, checkpoint, drive });
    assert.equal(check.readable, false);
    const gone =
      /^pack [0-9a-f]{64} that the checkpoint uses is missing on drive .*\/gone \(pruned since\?\); the checkpoint cannot be resumed: start a fresh backup$/;
    assert.match(check.problem ?? '', gone);

    // what it spares: an attempt sent to resume it fails on the same finding
    const epoch = await beginNext(input);
    const resumed: BackupAttemptInput = {
      ...input,
      attempt: { number: 2, epoch, node: NODE, drive },
      resumeFrom: checkpoint,
    };
    const err = await rejection(run(new MockActivityEnvironment(), deps(), resumed));
    assert.match(String(err), /pack [0-9a-f]{64} that the checkpoint uses is missing on drive/);

    // the job's decision from the check: fresh, and the reason names the missing pack
    const decision = decisionAfterMove(checkpoint, check);
    assert.equal(decision.kind, 'fresh');
    assert.match(
      decision.reason,
      /cannot read the checkpoint's data written on n1: pack [0-9a-f]{64} that the checkpoint uses is missing/,
    );
  });

  const fencingCases = [
    {
      name: 'fencing: once a newer attempt begins, the stale one stops as Fenced at its next checkpoint',
      job: 'fenced',
      checkpointEveryBytes: MiB,
      newerWhen: (b: Beat) => b.checkpoint !== null,
    },
    {
      // the file data fits one pack and no checkpoint is due: the commit is the only write left
      name: 'fencing: with no checkpoint due, a stale attempt is refused its commit',
      job: 'fenced-commit',
      checkpointEveryBytes: 1 << 30,
      newerWhen: (b: Beat) => b.progress.files >= 4,
    },
  ];
  for (const k of fencingCases) {
    test(`${k.name}, commits nothing, and says so in the timeline`, async () => {
      const input = await begin(
        plan(k.job, {
          paths: [large],
          bandwidth: 4 * MiB,
          settings: { checkpointEveryBytes: k.checkpointEveryBytes, checkpointEverySeconds: 3600 },
        }),
      );
      const env = new MockActivityEnvironment();
      let newer = null as Promise<number> | null;
      let newerAt = '';
      env.on('heartbeat', (b: Beat) => {
        if (newer || !k.newerWhen(b)) return;
        newer = beginNext(input).then((epoch) => {
          newerAt = new Date().toISOString();
          return epoch;
        });
      });
      const f = await failureOf(run(env, deps(), input));
      assert.ok(newer, 'the attempt ended before a newer one began');
      assert.equal(await newer, 2);
      assert.equal(f.type, 'Fenced');
      assert.equal(f.nonRetryable, true);
      assert.ok(isFinalBackupFailure(f.type));
      assert.match(
        f.message,
        new RegExp(`epoch 1 of job ${input.job.jobId} is fenced off: the job's current epoch is 2`),
      );
      assert.deepEqual(await snapshotsOn(input), [], 'a fenced attempt commits no snapshot');
      assert.ok(
        (await checkpointsOf(input)).every((c) => c.epoch === 1 && c.at < newerAt),
        'no checkpoint of the stale epoch saved after the newer attempt began',
      );
      // the event is written after the failure is thrown (not awaited): wait for it
      const fenced = await waitFor(
        'the write-fenced event',
        async () => (await eventsOf(input, 'write-fenced'))[0],
        5000,
        50,
      );
      assert.equal(fenced.node, NODE);
      assert.deepEqual(JSON.parse(fenced.data_json ?? 'null'), { epoch: 1, current: 2 });
    });
  }

  test('isolation: a node that has not reached Temporal for longer than the heartbeat timeout stops writing', async () => {
    const heartbeatMs = 1000;
    const input = await begin(
      plan('isolated', {
        paths: [large],
        bandwidth: 3 * MiB,
        settings: { heartbeatTimeoutSeconds: heartbeatMs / 1000, checkpointEveryBytes: MiB },
      }),
    );
    const env = new MockActivityEnvironment();
    // Every heartbeat reaches Temporal until the first checkpoint; from then on none does.
    let reachedAt = Date.now();
    let cutAt = 0;
    env.on('heartbeat', (b: Beat) => {
      if (cutAt !== 0) return;
      reachedAt = Date.now();
      if (b.checkpoint !== null) cutAt = reachedAt;
    });
    const f = await failureOf(run(env, deps({ msSinceTemporalReached: () => Date.now() - reachedAt }), input));
    const stoppedAt = Date.now();
    assert.ok(cutAt > 0, 'no checkpoint before the end');
    assert.equal(f.type, 'Isolated');
    assert.equal(f.nonRetryable, true);
    assert.equal(isFinalBackupFailure(f.type), false, 'another node may take the job on');
    assert.match(f.message, /node n1 has not reached Temporal for \d+ s; it stops writing/);
    assert.ok(stoppedAt - cutAt >= heartbeatMs, `isolated ${stoppedAt - cutAt} ms after the cut, before the timeout`);
    // 12 MiB at 3 MiB/s would take 4 s; checkpoints (fenced) come every 1/3 s
    assert.ok(stoppedAt - cutAt < heartbeatMs + 1500, `still writing ${stoppedAt - cutAt} ms after the cut`);
    assert.deepEqual(await snapshotsOn(input), []);
    const cutIso = new Date(cutAt + heartbeatMs + 250).toISOString();
    assert.ok(
      (await checkpointsOf(input)).every((c) => c.at < cutIso),
      'no checkpoint saved once the node was isolated',
    );
    const isolated = await waitFor(
      'the attempt-isolated event',
      async () => (await eventsOf(input, 'attempt-isolated'))[0],
      5000,
      50,
    );
    assert.equal(isolated.message, f.message);
  });

  test('cancellation stops the attempt within a second, with no snapshot, and the timeline says so', async () => {
    const input = await begin(plan('cancelled', { paths: [large], bandwidth: 4 * MiB }));
    const env = new MockActivityEnvironment();
    let cancelledAt = 0;
    env.on('heartbeat', (b: Beat) => {
      if (cancelledAt === 0 && b.progress.files >= 4) {
        cancelledAt = Date.now();
        env.cancel();
      }
    });
    const err = await rejection(run(env, deps(), input));
    const ms = Date.now() - cancelledAt;
    assert.ok(cancelledAt > 0, 'not cancelled before the end');
    assert.ok(err instanceof AbortedError, String(err));
    assert.ok(ms < 1000, `stopped ${ms} ms after the cancellation`);
    assert.deepEqual(await snapshotsOn(input), []);
    const [stopped] = await eventsOf(input, 'attempt-stopped');
    assert.equal(stopped.message, 'attempt with epoch 1 stopped on cancellation without committing');
    assert.equal(stopped.data_json, null, 'not fenced: no epochs');
  });

  test('a cancelled attempt a newer one had fenced off says so in the timeline', async () => {
    const input = await begin(plan('cancelled-fenced', { paths: [large], bandwidth: 4 * MiB }));
    const env = new MockActivityEnvironment();
    let newer = null as Promise<void> | null;
    env.on('heartbeat', (b: Beat) => {
      // no checkpoint and a pack not yet full: the attempt meets no fence before it is cancelled
      if (!newer && b.progress.files >= 4) newer = beginNext(input).then(() => env.cancel());
    });
    const err = await rejection(run(env, deps(), input));
    assert.ok(newer, 'not cancelled before the end');
    await newer;
    assert.ok(err instanceof AbortedError, String(err));
    assert.deepEqual(await snapshotsOn(input), []);
    const [stopped] = await eventsOf(input, 'attempt-stopped');
    assert.equal(
      stopped.message,
      "attempt with epoch 1 stopped on cancellation without committing; epoch 1 is fenced off (the job's current epoch is 2)",
    );
    assert.deepEqual(JSON.parse(stopped.data_json ?? 'null'), { epoch: 1, current: 2 });
  });

  test('fenced between its drive commit and the catalog record: the snapshot is taken back, the attempt fails Fenced', async () => {
    const input = await begin(plan('settled-first'));
    const { jobId, cluster } = input.job;
    let settled: unknown = undefined;
    // the job settles the attempt as moved right after the snapshot is on the drive: the catalog's
    // next transaction (the commit record) comes after the settle's fence
    const racing = new Proxy(catalog, {
      get(target, prop) {
        if (prop !== 'transaction') {
          // Kysely keeps private fields: its methods run on the real catalog
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        return () => ({
          execute: async (fn: Parameters<ReturnType<Catalog['transaction']>['execute']>[0]) => {
            if (settled === undefined && (await snapshotsOn(input).catch(() => [])).length > 0) {
              settled = await settleMovedAttempt(
                catalog,
                { cluster, jobId, number: 1, epoch: input.attempt.epoch },
                't',
              );
            }
            return target.transaction().execute(fn);
          },
        });
      },
    });
    const failure = await failureOf(run(new MockActivityEnvironment(), deps({ catalog: racing }), input));
    assert.equal(settled, null, 'settled before the commit was recorded');
    assert.equal(failure.type, 'Fenced');
    assert.match(failure.message, /epoch 1 of job .* is fenced off: the job's current epoch is 2/);
    assert.deepEqual(await snapshotsOn(input), [], 'the snapshot is taken back');
    assert.deepEqual(await eventsOf(input, 'attempt-committed'), []);
  });

  test('the commit is recorded in the catalog before the attempt returns, with its outcome', async () => {
    const input = await begin(plan('recorded'));
    const out = await run(new MockActivityEnvironment(), deps(), input);
    const [committed] = await eventsOf(input, 'attempt-committed');
    assert.deepEqual(JSON.parse(committed.data_json ?? '{}'), { number: 1, epoch: input.attempt.epoch, outcome: out });
    const { jobId, cluster } = input.job;
    const settle = { cluster, jobId, number: 1, epoch: input.attempt.epoch };
    assert.deepEqual(await settleMovedAttempt(catalog, settle, 't'), out);
  });

  test("work for another node, or for another node's drive, is refused before the drive is touched", async () => {
    for (const [name, o] of [
      ['other-node', { node: 'n2', driveNode: 'n2' }],
      ['other-drive', { driveNode: 'n2' }],
    ] as const) {
      const input = plan(name, o);
      const f = await failureOf(run(new MockActivityEnvironment(), deps(), input));
      assert.equal(f.type, 'WrongNode');
      assert.equal(f.nonRetryable, true);
      assert.ok(isFinalBackupFailure(f.type));
      assert.match(
        f.message,
        /was sent to node n1 but is for node .* of node n2; the job must route it to its host's queue$/,
      );
      assert.equal(existsSync(input.attempt.drive.path), false, 'the drive was created');
    }
  });

  test('a full drive fails as DriveFull, naming the drive and the fix, with no snapshot', async () => {
    // one 10 MiB volume holds 5 MiB packs once: 12 MiB does not fit
    const input = await begin(plan('full', { paths: [large], tape: { volumeSize: 10 * MiB, volumes: 1 } }));
    const f = await failureOf(run(new MockActivityEnvironment(), deps(), input));
    assert.equal(f.type, 'DriveFull');
    assert.equal(f.nonRetryable, true);
    assert.ok(isFinalBackupFailure(f.type));
    assert.match(
      f.message,
      new RegExp(
        `^drive d-full \\(${input.attempt.drive.path}\\) on node n1 is full: .*all 1 volumes.*; ` +
          'free space on it or assign the node another drive, then run the backup again$',
      ),
    );
    assert.deepEqual(await snapshotsOn(input), []);
  });

  test('a drive nobody initialised fails as DriveMissing, naming the drive and `baton apply --init-drives`; nothing is created', async () => {
    const input = await begin(plan('uninitialised'), false);
    const f = await failureOf(run(new MockActivityEnvironment(), deps(), input));
    assert.equal(f.type, 'DriveMissing');
    assert.equal(f.nonRetryable, true);
    assert.ok(isFinalBackupFailure(f.type));
    assert.match(
      f.message,
      new RegExp(
        `^drive d-uninitialised of node n1 is not initialised: no Baton drive at ${input.attempt.drive.path}; ` +
          'a backup never creates one. Initialise it with `baton apply --init-drives',
      ),
    );
    assert.equal(existsSync(input.attempt.drive.path), false);
  });

  test('a drive whose spec says initOnFirstBackup is initialised by the first backup, and the timeline says so', async () => {
    const input = await begin(plan('first-backup'), false);
    const drive = { ...input.attempt.drive, initOnFirstBackup: true };
    // a missing drive path is refused, not created: storage not mounted must not become a drive on the root disk
    const missing = await failureOf(
      run(new MockActivityEnvironment(), deps(), {
        ...input,
        job: { ...input.job, drive, drives: [drive] },
        attempt: { ...input.attempt, drive },
      }),
    );
    assert.equal(missing.type, 'DriveMissing');
    assert.match(missing.message, /^drive path .* does not exist .* creates nothing here/);
    assert.equal(existsSync(drive.path), false);
    mkdirSync(drive.path, { recursive: true });
    const outcome = await run(new MockActivityEnvironment(), deps(), {
      ...input,
      job: { ...input.job, drive, drives: [drive] },
      attempt: { ...input.attempt, drive },
    });
    assert.equal((await snapshotsOn(input)).length, 1);
    assert.equal(outcome.snapshotId, (await snapshotsOn(input))[0].id);
    const [event] = await eventsOf(input, 'drive-initialised');
    assert.match(event.message, /^initialised directory drive d-first-backup at .* \(its initOnFirstBackup is set\)$/);
  });

  test('missing app data fails as AppDataMissing, naming the paths and the node', async () => {
    const missing = join(tmp, 'not-mounted');
    const input = await begin(plan('missing', { paths: [missing] }));
    const f = await failureOf(run(new MockActivityEnvironment(), deps(), input));
    assert.equal(f.type, 'AppDataMissing');
    assert.equal(f.nonRetryable, true);
    assert.ok(isFinalBackupFailure(f.type));
    assert.ok(
      f.message.endsWith(
        `(app data paths ${missing} on node n1; check the config and that the storage is mounted here)`,
      ),
      f.message,
    );
    assert.deepEqual(await snapshotsOn(input), []);
  });

  test("an app path or drive outside the node's allowed roots fails as PathNotAllowed before anything is read", async () => {
    const setting = 'nodes[].allowedRoots of n1 in /etc/baton/baton.yaml';
    const input = await begin(plan('outside-roots', { paths: [small, large] }));
    const f = await failureOf(
      run(new MockActivityEnvironment(), deps({ allowed: { roots: [small], setting } }), input),
    );
    assert.equal(f.type, 'PathNotAllowed');
    assert.equal(f.nonRetryable, true);
    assert.ok(isFinalBackupFailure(f.type));
    assert.match(
      f.message,
      new RegExp(`^app app-outside-roots's data path ${large} is outside the roots node n1 allows`),
    );
    assert.ok(f.message.includes(setting), f.message);
    const drive = await failureOf(
      run(new MockActivityEnvironment(), deps({ allowed: { roots: [small, large], setting } }), input),
    );
    assert.match(drive.message, /^drive d-outside-roots's path \S+ is outside the roots node n1 allows/);
    assert.deepEqual(await snapshotsOn(input), []);
    const within = await run(new MockActivityEnvironment(), deps({ allowed: { roots: [tmp], setting } }), input);
    assert.equal(within.incomplete, false);
  });

  test('a wrong password fails as WrongPassword, naming the drive and where the passphrase goes', async () => {
    const input = await begin(plan('password'));
    const f = await failureOf(run(new MockActivityEnvironment(), deps({ password: 'not the passphrase' }), input));
    assert.equal(f.type, 'WrongPassword');
    assert.equal(f.nonRetryable, true);
    assert.ok(isFinalBackupFailure(f.type));
    assert.ok(
      f.message.endsWith("(drive d-password; set repository.passwordFile or BATON_PASSWORD to the drive's passphrase)"),
      f.message,
    );
    assert.deepEqual(await snapshotsOn(input), []);
  });

  test('heartbeats come no more often than a quarter of the heartbeat timeout and carry the live progress', async () => {
    const heartbeatMs = 1000;
    const beatEveryMs = heartbeatMs / 4;
    const input = await begin(
      plan('throttled', {
        paths: [large],
        bandwidth: 6 * MiB,
        // no checkpoints: they heartbeat at once, on purpose
        settings: {
          heartbeatTimeoutSeconds: heartbeatMs / 1000,
          checkpointEverySeconds: 3600,
          checkpointEveryBytes: 1 << 30,
        },
      }),
    );
    const env = new MockActivityEnvironment();
    const beats: { at: number; beat: Beat }[] = [];
    env.on('heartbeat', (b: Beat) => beats.push({ at: Date.now(), beat: b }));
    const started = Date.now();
    const out = await run(env, deps(), input);
    const ms = Date.now() - started;
    assert.equal(out.files, 48);
    assert.ok(
      beats.every(({ beat }) => beat.checkpoint === null),
      'a checkpoint heartbeat (not throttled) came in between',
    );
    const gaps = beats.slice(1).map((b, i) => b.at - beats[i].at);
    // the activity and this listener read the clock a moment apart: allow a few ms
    assert.ok(
      gaps.every((g) => g >= beatEveryMs - 5),
      `heartbeats ${gaps.join(', ')} ms apart`,
    );
    assert.ok(beats.length <= ms / beatEveryMs + 2, `${beats.length} heartbeats in ${ms} ms`);
    assert.ok(beats.length >= 3, `only ${beats.length} heartbeats in ${ms} ms: the attempt would time out`);
    // each carries the progress so far, moving forward, with a summary a person reads
    assert.ok(beats.every(({ beat }) => backupHeartbeatOf(beat) !== null));
    const bytes = beats.map(({ beat }) => beat.progress.bytes);
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => a - b),
    );
    const last = beats[beats.length - 1].beat;
    assert.equal(last.progress.epoch, input.attempt.epoch);
    assert.ok(last.progress.files > 0 && last.progress.rateBytesPerSecond > 0, JSON.stringify(last.progress));
    assert.match(last.summary, /^\d+ files, [\d.]+ MiB at [\d.]+ [KM]iB\/s; last checkpoint none yet; epoch \d+$/);
  });

  test('a file read slower than the heartbeat timeout still heartbeats within it (a timer beats between engine reports)', async () => {
    const slow = join(tmp, 'one-slow-file');
    mkdirSync(slow, { recursive: true });
    writeFileSync(join(slow, 'big.dat'), Buffer.alloc(192 * 1024, 7));
    const heartbeatMs = 1000;
    // 192 KiB at 48 KiB/s: about 4 s in one file, which the engine reports once
    const input = await begin(
      plan('slow-file', {
        paths: [slow],
        bandwidth: 48 * 1024,
        settings: { heartbeatTimeoutSeconds: 1, checkpointEverySeconds: 3600, checkpointEveryBytes: 1 << 30 },
      }),
    );
    const env = new MockActivityEnvironment();
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    const out = await run(env, deps(), input);
    assert.equal(out.files, 1);
    const gaps = [beats[0] - started, ...beats.slice(1).map((b, i) => b - beats[i])];
    assert.ok(Date.now() - started >= 3000, 'the file was not read slowly');
    assert.ok(
      gaps.every((g) => g < heartbeatMs),
      `heartbeats ${gaps.join(', ')} ms apart against a ${heartbeatMs} ms timeout`,
    );
  });
});

test("the engine's path is decoded only for a heartbeat, which names the latest file reported", () => {
  const beats: Beat[] = [];
  const reporter = progressReporter({
    ctx: { heartbeat: (b: unknown) => void beats.push(b as Beat) },
    epoch: 3,
    heartbeatMs: 60_000, // a beat a second at most
    started: Date.now(),
    resumeFrom: null,
    estimate: { files: 0, bytes: 0 },
  });
  let decoded = 0;
  const report = (files: number) => ({
    files,
    dirs: 0,
    bytes: files,
    newBytes: 0,
    errors: 0,
    get currentPath() {
      decoded++;
      return `/data/f${files}`;
    },
  });
  for (let i = 1; i <= 1000; i++) reporter.update(report(i));
  assert.equal(beats.length, 1, 'the first report beats; the rest come within its second');
  assert.equal(decoded, 1, 'one path decoded, for that heartbeat');
  assert.equal(beats[0].progress.lastPath, '/data/f1');
  reporter.checkpointed(new Date().toISOString(), { stats: { files: 1000, bytes: 1000 } } as Checkpoint);
  assert.equal(beats.length, 2);
  assert.equal(decoded, 2);
  assert.equal(beats[1].progress.lastPath, '/data/f1000', 'the latest report, not the one of the last heartbeat');
});

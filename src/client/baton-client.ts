/**
 * Baton from code: the package's client, and what the CLI's cluster commands are built on. It
 * connects as baton.yaml says; starts backups through the coordinator and restores and verifies on
 * the nodes, each followed as an async iterator of its live views, then its result; applies a
 * config; starts restore tests; reads the coordinator's status and health and the schedules, and
 * jobs, snapshots, restore tests and backup times from the catalog; cancels a job. It connects to
 * Temporal lazily, on the first call that needs it: the catalog-only calls (`jobs`, `job`,
 * `snapshots`, `restoreTests`, `backupTimes`) work while Temporal is down. The helpers underneath
 * (coordinator-client.ts, operations-client.ts, apply-plan.ts, restore-test-client.ts,
 * schedules-client.ts, coordinator-health.ts) do the work.
 */
import { userInfo } from 'node:os';
import { isAbsolute, normalize, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { loadConfig, type BatonConfig } from '../config/load';
import { openCatalog, type Catalog } from '../catalog/open';
import { getJob } from '../catalog/jobs';
import { findSnapshot } from '../catalog/operations';
import { appSnapshots, type AppSnapshot } from '../catalog/snapshots';
import type { JobRow } from '../catalog/schema';
import type { BackupJobResult, JobEntry, JobState, JobView, StartedBackup } from '../model/backup';
import type { ClusterOutage } from '../model/coordinator';
import type { ClusterPlan, DriveSpec } from '../model/plan';
import { connect, type Connected } from './connect';
import { coordinatorStatus, followJob, requestBackup } from './coordinator-client';
import { cancelJob, type CancelResult } from './cancel-job';
import { applyConfig, type ApplyOutcome } from './apply-plan';
import { startRestore, startVerify, waitAccepted } from './operations-client';
import { OperationHandle, type FollowOptions } from './operation-handle';
import { liveViews } from './live-views';
import { snapshotPaths } from './snapshot-paths';
import { restoreTestResult, startRestoreTest } from './restore-test-client';
import { coordinatorProblem } from './coordinator-health';
import { appSchedules, type ScheduleRow } from './schedules-client';
import { backupTimes, type AppBackupTimes } from '../catalog/backup-health';
import { recentRestoreTests } from '../catalog/restore-tests';
import type { RestoreTestRow } from '../catalog/schema';
import type { RestoreTestResult, SampleSpec } from '../model/restore-test';
import { UserError } from '../model/errors';
import { OtherClusterError, SnapshotNotFoundError, UnknownDriveError, requireApp, requireNode } from './errors';

export interface ConnectOptions {
  /** A baton.yaml path, or a config already loaded; default $BATON_CONFIG or ./baton.yaml. */
  config?: string | BatonConfig;
}

export interface BackupOptions {
  /** Read every file, ignoring the node's file cache. */
  full?: boolean;
  /** Who asked, as the catalog records it; default `code:<user>`. */
  requestedBy?: string;
}

export interface RestoreOptions {
  /** The directory that receives the files on the node: empty or new; a relative one resolves here. */
  target: string;
  /** Snapshot ID or a unique prefix of at least 4 hex digits; default the app's latest. */
  snapshot?: string;
  /** The node that receives the files; default the app's current host. */
  node?: string;
  /** Only these files or directories of the snapshot, each at its relative position under target. */
  paths?: string[];
  /** Skip device nodes (as root the node makes them by default), each listed as skipped. */
  noDevices?: boolean;
  /** Restore modes without their setuid and setgid bits (counted in the result's setuidStripped). */
  noSetuid?: boolean;
  /** Who asked, as the catalog records it; default `code:<user>`. */
  requestedBy?: string;
}

export interface VerifyOptions {
  /** Also read every pack and check every blob, not only the structure. */
  readData?: boolean;
  /** Who asked, as the catalog records it; default `code:<user>`. */
  requestedBy?: string;
}

export interface ApplyConfigOptions {
  /** Compute the changes, apply nothing. */
  dryRun?: boolean;
  /** How long to wait for the coordinator to answer, in ms (default 30 s). */
  timeoutMs?: number;
}

/** The coordinator's view of the cluster. */
export interface ClusterStatus {
  cluster: string;
  /** The node whose worker runs the coordinator; null before its first observation. */
  coordinatorHost: string | null;
  /** Where each app runs, as the cluster service last said; null when nowhere. */
  hosts: Record<string, string | null>;
  /** The backup jobs running now. */
  running: JobEntry[];
  /** Set while the cluster service does not answer (the hosts are then the last known). */
  clusterUnreachable: ClusterOutage | null;
  /** The plan the coordinator runs on. */
  plan: ClusterPlan;
}

export interface JobsQuery {
  /** Only jobs in this state, e.g. `'failed'`. */
  state?: JobState;
  /** Only this app's jobs (verify and retention jobs concern a drive: their app is empty). */
  app?: string;
  /** Only jobs of this kind. */
  kind?: JobRow['kind'];
  /** At most this many, newest first; default 20. */
  limit?: number;
}

/** A running or finished backup job: its live views while it runs, then its result. */
export class JobHandle {
  constructor(
    private readonly client: Client,
    readonly started: StartedBackup,
  ) {}

  get id(): string {
    return this.started.jobId;
  }

  /** The job's live view about every `everyMs` until it ends. */
  progress(everyMs = 1000): AsyncGenerator<JobView> {
    return liveViews((onView) => followJob(this.client, this.id, onView, everyMs));
  }

  /** Waits for the job's end; a failed job's result has `state: 'failed'` and its `error`. */
  result(options: FollowOptions<JobView> = {}): Promise<BackupJobResult> {
    return followJob(this.client, this.id, options.onView ?? (() => undefined), options.everyMs, options.signal);
  }
}

export interface RestoreTestOptions {
  /** Which files: `{ files: 100 }`, `{ fraction: 0.1 }`, null for all; default the app's restoreTest.sample. */
  sample?: SampleSpec | null;
  /** Who asked, as the catalog records it; default `code:<user>`. */
  requestedBy?: string;
}

export interface RestoreTestsQuery {
  /** Only this app's runs. */
  app?: string;
  /** At most this many, newest first (default 20). */
  limit?: number;
}

/** A restore test started now: its workflow ID, then how it ended. */
export class RestoreTestHandle {
  constructor(
    private readonly client: Client,
    readonly id: string,
  ) {}

  /** Waits for the verdict; a failed test's result has `state: 'failed'` and names what differed. */
  result(): Promise<RestoreTestResult> {
    return restoreTestResult(this.client, this.id);
  }
}

export class BatonClient {
  private connection: Promise<Connected> | null = null;

  private constructor(readonly config: BatonConfig) {}

  /**
   * Reads the config; connects to Temporal only when a call first needs it (a server that does
   * not answer then fails that call in one line naming the setting to fix), so `jobs`, `job` and
   * `snapshots`, which read only the catalog, work while Temporal is down.
   */
  static connect(options: ConnectOptions = {}): Promise<BatonClient> {
    return Promise.resolve().then(
      () => new BatonClient(typeof options.config === 'object' ? options.config : loadConfig(options.config)),
    );
  }

  /** The Temporal client, connecting on the first call (and again after a failed attempt). */
  async temporal(): Promise<Client> {
    if (!this.connection) {
      const pending = connect(this.config);
      this.connection = pending;
      pending.catch(() => {
        if (this.connection === pending) this.connection = null;
      });
    }
    return (await this.connection).client;
  }

  /** Starts a backup of `app` on the node hosting it. */
  async backup(app: string, options: BackupOptions = {}): Promise<JobHandle> {
    requireApp(this.config, app);
    const requestedBy = options.requestedBy ?? `code:${userInfo().username}`;
    const temporal = await this.temporal();
    const started = await requestBackup(temporal, this.config.cluster, app, requestedBy, options.full);
    return new JobHandle(temporal, started);
  }

  /**
   * Restores a snapshot of `app` into `options.target` on a node, through that node's backup
   * service, once the request passed its checks (app, node, snapshot here; the target on the node).
   */
  async restore(app: string, options: RestoreOptions): Promise<OperationHandle> {
    requireApp(this.config, app);
    if (options.node !== undefined) requireNode(this.config, options.node);
    const paths = snapshotPaths(options.paths ?? []);
    const target = isAbsolute(options.target) ? normalize(options.target) : resolve(options.target);
    const snapshot = options.snapshot ?? null;
    // the server first: a request that cannot start says so before any catalog answer
    const temporal = await this.temporal();
    await this.withCatalog(async (db) => {
      const found = await findSnapshot(db, app, snapshot);
      if (!found.ok) throw new SnapshotNotFoundError(app, snapshot, found.problem);
    });
    const jobId = await startRestore(temporal, this.config, {
      app,
      snapshotId: snapshot,
      node: options.node ?? null,
      target,
      subtree: null,
      ...(paths.length ? { paths } : {}),
      ...(options.noDevices ? { noDevices: true } : {}),
      ...(options.noSetuid ? { noSetuid: true } : {}),
      requestedBy: options.requestedBy ?? `code:${userInfo().username}`,
    });
    return new OperationHandle(temporal, jobId, 'restore', await waitAccepted(temporal, jobId));
  }

  /**
   * Checks a drive (by its name, or an app's name: the drive of that app's latest snapshot) on the
   * node it belongs to; `readData` reads every byte too.
   */
  async verify(driveOrApp: string, options: VerifyOptions = {}): Promise<OperationHandle> {
    const temporal = await this.temporal(); // the server first, as for restore
    const drive = await this.driveOf(driveOrApp);
    const requestedBy = options.requestedBy ?? `code:${userInfo().username}`;
    const jobId = await startVerify(temporal, this.config, drive, options.readData ?? false, requestedBy);
    return new OperationHandle(temporal, jobId, 'verify', null);
  }

  /** The drive a verify checks: the one named, or the drive of the named app's latest snapshot. */
  private async driveOf(name: string): Promise<DriveSpec> {
    const drives = this.config.plan.drives;
    const named = drives.find((d) => d.name === name);
    if (named) return named;
    const unknown = new UnknownDriveError(
      name,
      drives.map((d) => d.name),
      this.config.file,
    );
    if (!this.config.plan.apps.some((a) => a.name === name)) throw unknown;
    const latest = await this.withCatalog((db) => findSnapshot(db, name, null));
    if (!latest.ok) throw new SnapshotNotFoundError(name, null, latest.problem);
    const drive = drives.find((d) => d.name === latest.snapshot.drive);
    if (!drive) throw unknown;
    return drive;
  }

  /**
   * Hands a config's plan (a baton.yaml path, or a config already loaded) to the coordinator,
   * starting it when none runs, and returns the changes from the running plan to that one.
   */
  async apply(config: string | BatonConfig, options: ApplyConfigOptions = {}): Promise<ApplyOutcome> {
    const next = typeof config === 'object' ? config : loadConfig(config);
    if (next.cluster !== this.config.cluster) throw new OtherClusterError(next.cluster, this.config.cluster, next.file);
    return applyConfig(await this.temporal(), next, options);
  }

  /** The coordinator's view: its host, where the apps run, the running jobs, its plan. */
  async status(): Promise<ClusterStatus> {
    const state = await coordinatorStatus(await this.temporal(), this.config.cluster);
    return {
      cluster: this.config.cluster,
      coordinatorHost: state.host,
      hosts: state.hosts,
      running: state.running,
      clusterUnreachable: state.clusterUnreachable ?? null,
      plan: state.plan,
    };
  }

  /**
   * What is wrong with the coordinator, in a phrase naming the way out, or null when it runs,
   * answers within `answerMs` (default 10 s) and has a host. A server it cannot reach throws.
   */
  async coordinatorProblem(answerMs?: number): Promise<string | null> {
    return coordinatorProblem(await this.temporal(), this.config.cluster, answerMs);
  }

  /** Each app's last successful and last failed backup, from the catalog (works while Temporal is down). */
  backupTimes(): Promise<AppBackupTimes[]> {
    return this.withCatalog((db) => backupTimes(db, this.config.cluster));
  }

  /** Each scheduled app: its cadence, the node of its next run, its next runs and how its last run ended. */
  async schedules(): Promise<ScheduleRow[]> {
    return appSchedules(await this.temporal(), this.config.cluster);
  }

  /** Jobs from the catalog, newest first; reads only the catalog (works while Temporal is down). */
  jobs(query: JobsQuery = {}): Promise<JobRow[]> {
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1) {
      return Promise.reject(new UserError(`jobs: limit ${String(limit)} is not a positive whole number; give e.g. 20`));
    }
    return this.withCatalog((db) => {
      let q = db.selectFrom('jobs').selectAll();
      if (query.state) q = q.where('state', '=', query.state);
      if (query.app) q = q.where('app', '=', query.app);
      if (query.kind) q = q.where('kind', '=', query.kind);
      return q.orderBy('started_at', 'desc').limit(limit).execute();
    });
  }

  /** One job's catalog row, or undefined when the catalog has none; reads only the catalog. */
  job(jobId: string): Promise<JobRow | undefined> {
    return this.withCatalog((db) => getJob(db, jobId));
  }

  /**
   * An app's snapshots still on their drives (not forgotten), across drives, newest first, each
   * with the node whose backup made it; at most `limit` (default all). Reads only the catalog.
   */
  async snapshots(app: string, limit?: number): Promise<AppSnapshot[]> {
    requireApp(this.config, app);
    return await this.withCatalog(async (db) => {
      const rows = await appSnapshots(db, app);
      return limit === undefined ? rows : rows.slice(0, limit);
    });
  }

  /**
   * Starts a restore test of `app` now, the workflow its schedule starts: the app's latest
   * snapshot (or a sample of it) restored into scratch space on its host and compared.
   */
  async restoreTest(app: string, options: RestoreTestOptions = {}): Promise<RestoreTestHandle> {
    const spec = requireApp(this.config, app);
    const temporal = await this.temporal();
    const requestedBy = options.requestedBy ?? `code:${userInfo().username}`;
    const id = await startRestoreTest(temporal, this.config, spec, { sample: options.sample, requestedBy });
    return new RestoreTestHandle(temporal, id);
  }

  /** The latest restore tests the catalog recorded, newest first; reads only the catalog. */
  async restoreTests(query: RestoreTestsQuery = {}): Promise<RestoreTestRow[]> {
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UserError(`restore tests: limit ${String(limit)} is not a positive whole number; give e.g. 20`);
    }
    if (query.app !== undefined) requireApp(this.config, query.app);
    return await this.withCatalog((db) => recentRestoreTests(db, this.config.cluster, { app: query.app, limit }));
  }

  /** Cancels a running job and waits up to `waitMs` for it to record its end. */
  cancel(jobId: string, waitMs?: number): Promise<CancelResult> {
    return this.temporal().then((temporal) => cancelJob(temporal, jobId, waitMs));
  }

  /** Closes the Temporal connection, if one was made. */
  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = null;
    if (!pending) return;
    const connected = await pending.catch(() => null);
    await connected?.close();
  }

  private async withCatalog<T>(fn: (db: Catalog) => Promise<T>): Promise<T> {
    const db = await openCatalog(this.config.catalogUrl);
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  }
}

/**
 * Baton from code: the package's client. It connects as baton.yaml says, starts backups through the
 * coordinator, follows a job as an async iterator of its live views, and reads jobs and snapshots
 * from the catalog. The CLI's helpers underneath (coordinator-client.ts, connect.ts) do the work.
 */
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import { loadConfig, type BatonConfig } from '../config/load';
import { openCatalog } from '../catalog/open';
import { snapshotsOf } from '../catalog/jobs';
import type { JobRow, SnapshotRow } from '../catalog/schema';
import type { BackupJobResult, JobState, JobView, StartedBackup } from '../model/backup';
import { UserError } from '../model/errors';
import { connect } from './connect';
import { followJob, requestBackup } from './coordinator-client';
import { cancelJob, type CancelResult } from './cancel-job';

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

export interface JobsQuery {
  state?: JobState;
  app?: string;
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
  async *progress(everyMs = 1000): AsyncGenerator<JobView> {
    const views: JobView[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const ended = followJob(
      this.client,
      this.id,
      (view) => {
        views.push(view);
        wake?.();
      },
      everyMs,
    ).finally(() => {
      done = true;
      wake?.();
    });
    ended.catch(() => undefined);
    for (;;) {
      const view = views.shift();
      if (view) yield view;
      else if (done) break;
      else await new Promise<void>((r) => (wake = r));
    }
  }

  /** Waits for the job's end; a failed job's result has `state: 'failed'` and its `error`. */
  result(): Promise<BackupJobResult> {
    return followJob(this.client, this.id, () => undefined);
  }
}

export class BatonClient {
  private constructor(
    readonly config: BatonConfig,
    readonly temporal: Client,
    private readonly closeConnection: () => Promise<void>,
  ) {}

  static async connect(options: ConnectOptions = {}): Promise<BatonClient> {
    const config = typeof options.config === 'object' ? options.config : loadConfig(options.config);
    const { client, close } = await connect(config);
    return new BatonClient(config, client, close);
  }

  /** Starts a backup of `app` on the node hosting it. */
  async backup(app: string, options: BackupOptions = {}): Promise<JobHandle> {
    if (!this.config.plan.apps.some((a) => a.name === app)) {
      const known = this.config.plan.apps.map((a) => a.name).join(', ') || 'none';
      throw new UserError(`unknown app "${app}"; apps in ${this.config.file}: ${known}`);
    }
    const requestedBy = options.requestedBy ?? `code:${userInfo().username}`;
    const started = await requestBackup(this.temporal, this.config.cluster, app, requestedBy, options.full);
    return new JobHandle(this.temporal, started);
  }

  /** Jobs from the catalog, newest first. */
  async jobs(query: JobsQuery = {}): Promise<JobRow[]> {
    const db = await openCatalog(this.config.catalogUrl);
    try {
      let q = db.selectFrom('jobs').selectAll();
      if (query.state) q = q.where('state', '=', query.state);
      if (query.app) q = q.where('app', '=', query.app);
      return await q
        .orderBy('started_at', 'desc')
        .limit(query.limit ?? 20)
        .execute();
    } finally {
      await db.destroy();
    }
  }

  /** An app's snapshots (not forgotten), newest first. */
  async snapshots(app: string, limit = 20): Promise<SnapshotRow[]> {
    const db = await openCatalog(this.config.catalogUrl);
    try {
      return await snapshotsOf(db, app, limit);
    } finally {
      await db.destroy();
    }
  }

  /** Cancels a running job and waits up to `waitMs` for it to record its end. */
  cancel(jobId: string, waitMs?: number): Promise<CancelResult> {
    return cancelJob(this.temporal, jobId, waitMs);
  }

  close(): Promise<void> {
    return this.closeConnection();
  }
}

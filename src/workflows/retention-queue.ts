/**
 * The coordinator's retention decisions, free of Temporal: after a successful backup of an app with
 * a keep policy, its drive is due a retention job; one runs at a time per drive, and the apps that
 * backed up there meanwhile wait for the next (coalesced into one job). Works on the coordinator's
 * JSON-safe snapshot (its `retention` field), so continue-as-new carries it.
 */
import type { CoordinatorSnapshot, DriveRetention } from '../model/coordinator';
import { retentionWorkflowId } from '../model/names';
import type { RetentionJobInput } from '../model/operations';

/**
 * A retention job the coordinator has not heard end of after this long is taken for gone
 * (terminated outside Baton), so the drive is not blocked for good.
 */
export const RETENTION_STALE_MS = 6 * 3600 * 1000;

export const RETENTION_REQUESTED_BY = 'coordinator (after a backup)';

export class RetentionQueue {
  constructor(private readonly s: CoordinatorSnapshot) {}

  private drive(name: string): DriveRetention {
    const all = (this.s.retention ??= {});
    return (all[name] ??= { apps: [], running: null });
  }

  /** A backup of `app` succeeded on `drive`: the drive is due a retention job if the app has a keep policy. */
  backupSucceeded(app: string, drive: string): void {
    if (!this.s.plan.apps.find((a) => a.name === app)?.keep) return;
    const d = this.drive(drive);
    if (!d.apps.includes(app)) d.apps.push(app);
  }

  /**
   * The retention jobs to start now (workflow time `nowMs`): one per drive with apps waiting and no
   * job running (or one not heard of for RETENTION_STALE_MS). Apps or drives gone from the plan, and
   * apps whose keep policy was removed, are dropped.
   */
  due(nowMs: number, coordinatorId: string): RetentionJobInput[] {
    const jobs: RetentionJobInput[] = [];
    for (const [name, d] of Object.entries(this.s.retention ?? {})) {
      if (d.apps.length === 0) continue;
      if (d.running && nowMs - d.running.startedMs < RETENTION_STALE_MS) continue;
      const drive = this.s.plan.drives.find((x) => x.name === name);
      const apps = d.apps.flatMap((app) => {
        const keep = this.s.plan.apps.find((a) => a.name === app)?.keep;
        return keep ? [{ app, keep }] : [];
      });
      if (!drive || apps.length === 0) {
        d.apps = [];
        continue;
      }
      jobs.push({
        cluster: this.s.plan.cluster,
        jobId: retentionWorkflowId(this.s.plan.cluster, name, nowMs),
        drive,
        node: drive.node,
        apps,
        requestedBy: RETENTION_REQUESTED_BY,
        settings: this.s.plan.jobs,
        coordinatorId,
      });
    }
    return jobs;
  }

  /** The job runs: its apps no longer wait. */
  started(job: RetentionJobInput, nowMs: number): void {
    const d = this.drive(job.drive.name);
    d.apps = d.apps.filter((a) => !job.apps.some((j) => j.app === a));
    d.running = { jobId: job.jobId, startedMs: nowMs };
  }

  /** The job could not start (e.g. its ID was taken): its apps no longer wait; the next backup asks again. */
  skipped(job: RetentionJobInput): void {
    const d = this.drive(job.drive.name);
    d.apps = d.apps.filter((a) => !job.apps.some((j) => j.app === a));
  }

  /** A job ended; the drive is free for the next. An end of another job (an older one) changes nothing. */
  finished(drive: string, jobId: string): void {
    const d = this.s.retention?.[drive];
    if (d?.running?.jobId === jobId) d.running = null;
  }

  /** The job running on each drive, for the status. */
  running(): string[] {
    return Object.values(this.s.retention ?? {}).flatMap((d) => (d.running ? [d.running.jobId] : []));
  }
}

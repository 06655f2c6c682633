/**
 * A job's catalog row as Baton shows it to people and scripts (`baton status --json`'s recent jobs,
 * `baton job --json`): camelCase names, counts as numbers, the snapshot it made.
 */
import type { JobRow } from '../catalog/schema';

export interface JobSummary {
  id: string;
  kind: string;
  /** '' for a verify of a whole drive */
  app: string;
  state: string;
  node: string;
  drive: string;
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  files: number | null;
  bytes: number | null;
  /** the snapshot a backup made, or where a restore wrote */
  snapshot: string | null;
  error: string | null;
}

export function jobSummary(job: JobRow): JobSummary {
  return {
    id: job.id,
    kind: job.kind,
    app: job.app,
    state: job.state,
    node: job.node,
    drive: job.drive,
    requestedBy: job.requested_by,
    startedAt: job.started_at,
    finishedAt: job.finished_at,
    files: job.files === null ? null : Number(job.files),
    bytes: job.bytes === null ? null : Number(job.bytes),
    snapshot: job.location,
    error: job.error,
  };
}

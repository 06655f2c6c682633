/**
 * Restores and verifies in the catalog: a `jobs` row (kind `restore` or `verify`) and events on the
 * job timeline (addEvent), so `baton jobs` and `baton job <id>` show them beside backups. Verify
 * rows have an empty `app`: they concern a drive. And the lookup of the snapshot a restore reads.
 */
import { addEvent, recordJobStart } from './jobs';
import type { OperationEventKind } from '../model/events';
import type { Catalog } from './open';
import type { SnapshotRow } from './schema';

/** The jobs that are not backups: they have no attempts, epochs or leases. */
export type OperationJobKind = 'restore' | 'verify' | 'retention';

export interface OperationStart {
  cluster: string;
  jobId: string;
  kind: OperationJobKind;
  app: string;
  node: string;
  drive: string;
  requestedBy: string;
  /** The `<kind>-started` event's message. */
  message: string;
  data?: unknown;
}

/** Records a restore or verify as running. Idempotent: a retried activity finds the row and leaves it. */
export async function operationStarted(db: Catalog, op: OperationStart, nowIso: string): Promise<void> {
  await recordJobStart(
    db,
    {
      id: op.jobId,
      cluster: op.cluster,
      app: op.app,
      kind: op.kind,
      node: op.node,
      drive: op.drive,
      requestedBy: op.requestedBy,
    },
    {
      cluster: op.cluster,
      jobId: op.jobId,
      kind: `${op.kind}-started`,
      node: op.node,
      message: op.message,
      data: op.data,
    },
    nowIso,
  );
}

export interface OperationEnd {
  cluster: string;
  jobId: string;
  kind: OperationJobKind;
  node: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  files: number | null;
  bytes: number | null;
  /** restore: `<node>:<target>`; verify: the drive's path. */
  location: string | null;
  error: string | null;
  message: string;
  data?: unknown;
}

/** Event kind of an operation's end: `restore-finished`, `restore-failed`, `verify-cancelled`... */
export function operationEndKind(kind: OperationJobKind, state: OperationEnd['state']): OperationEventKind {
  return `${kind}-${state === 'succeeded' ? 'finished' : state}`;
}

/** Records the end of a restore or verify. Idempotent: a retried activity changes nothing more. */
export async function operationFinished(db: Catalog, end: OperationEnd, nowIso: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('jobs').select('state').where('id', '=', end.jobId).executeTakeFirst();
    if (row && row.state !== 'running') return;
    await trx
      .updateTable('jobs')
      .set({
        state: end.state,
        finished_at: nowIso,
        files: end.files,
        bytes: end.bytes,
        location: end.location,
        error: end.error,
      })
      .where('id', '=', end.jobId)
      .execute();
    await addEvent(
      trx,
      {
        cluster: end.cluster,
        jobId: end.jobId,
        kind: operationEndKind(end.kind, end.state),
        node: end.node,
        message: end.message,
        data: end.data,
      },
      nowIso,
    );
  });
}

export type SnapshotLookup = { ok: true; snapshot: SnapshotRow } | { ok: false; problem: string };

/** How many of an app's snapshots a refusal lists. */
const LISTED = 5;

/**
 * The snapshot of `app` a restore reads: the one whose ID is `id` or starts with it (at least 4
 * digits), or the app's latest when `id` is null. A refusal says what is wrong and what to do.
 */
export async function findSnapshot(db: Catalog, app: string, id: string | null): Promise<SnapshotLookup> {
  const latest = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('app', '=', app)
    .where('forgotten_at', 'is', null)
    .orderBy('at', 'desc')
    .limit(LISTED)
    .execute();
  if (id !== null && /^[0-9a-f]{4,}$/.test(id)) {
    const forgotten = await forgottenMatch(db, app, id);
    if (forgotten) return { ok: false, problem: forgottenProblem(forgotten, latest) };
  }
  if (latest.length === 0) {
    return {
      ok: false,
      problem: `app ${app} has no snapshot in the catalog; back it up first with \`baton backup ${app} --wait\``,
    };
  }
  if (id === null) return { ok: true, snapshot: latest[0] };
  const listed = `the app's latest: ${listOf(latest)}`;
  if (!/^[0-9a-f]{4,}$/.test(id)) {
    return {
      ok: false,
      problem: `snapshot ID "${id}" is not an ID or a prefix of one (at least 4 hex digits); ${listed}`,
    };
  }
  const matches = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('app', '=', app)
    .where('forgotten_at', 'is', null)
    // Only hex digits get here, so the pattern has no wildcard but the trailing one.
    .where('id', 'like', `${id}%`)
    .limit(2)
    .execute();
  if (matches.length === 0) return { ok: false, problem: `no snapshot ${id} of app ${app} in the catalog; ${listed}` };
  if (matches.length > 1) {
    return { ok: false, problem: `snapshot ID prefix ${id} matches several snapshots of app ${app}; give more digits` };
  }
  return { ok: true, snapshot: matches[0] };
}

function listOf(rows: SnapshotRow[]): string {
  return rows.map((s) => `${s.id.slice(0, 12)} (${s.at})`).join(', ');
}

/** The forgotten snapshot `id` names, when it names exactly one and no live one shares the prefix. */
async function forgottenMatch(db: Catalog, app: string, id: string): Promise<SnapshotRow | null> {
  const rows = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('app', '=', app)
    .where('id', 'like', `${id}%`)
    .limit(2)
    .execute();
  return rows.length === 1 && rows[0].forgotten_at !== null ? rows[0] : null;
}

function forgottenProblem(row: SnapshotRow, latest: SnapshotRow[]): string {
  return (
    `snapshot ${row.id.slice(0, 12)} of app ${row.app} was forgotten on ${row.forgotten_at ?? '?'} by ` +
    `${row.forgotten_by ?? 'a retention job'} (the app's keep policy) and is no longer on drive ${row.drive}; ` +
    (latest.length > 0
      ? `restore one it keeps: ${listOf(latest)} (all: \`baton snapshots ${row.app}\`)`
      : `the app has no other snapshot; back it up with \`baton backup ${row.app} --wait\``)
  );
}

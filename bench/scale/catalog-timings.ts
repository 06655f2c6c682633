/**
 * The catalog queries an operator's commands and the coordinator's reconcile run, timed on a
 * catalog as the scale run left it; and a copy of that catalog's rows into another (PostgreSQL)
 * to time the same queries there.
 */
import { sql } from 'kysely';
import { backupTimes, runningBackups } from '../../src/catalog/backup-health';
import { liveJobIds } from '../../src/catalog/dead-jobs';
import { clusterEvents, jobEvents, recentJobs } from '../../src/catalog/jobs';
import type { Catalog } from '../../src/catalog/open';
import { appSnapshots } from '../../src/catalog/snapshots';
import { percentile } from './percentile';

export interface QueryTiming {
  name: string;
  medianMs: number;
  rows: number;
}

const RUNS = 20;

async function timed(name: string, query: () => Promise<unknown[]>): Promise<QueryTiming> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    rows = (await query()).length;
    ms.push(performance.now() - t);
  }
  return { name, medianMs: percentile(ms, 50) ?? 0, rows };
}

/** Each query of `baton status`, `baton jobs`, `baton snapshots`, `baton check` and the reconcile. */
export async function catalogTimings(db: Catalog, cluster: string): Promise<QueryTiming[]> {
  const someJob = (await recentJobs(db, 1))[0]?.id ?? '';
  const busiestApp =
    (
      await db
        .selectFrom('snapshots')
        .select(['app', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('app')
        .orderBy('n', 'desc')
        .limit(1)
        .executeTakeFirst()
    )?.app ?? '';
  return [
    await timed('last backup per app (`baton check`, metrics)', () => backupTimes(db, cluster)),
    await timed('running backups (`baton status`)', () => runningBackups(db, cluster)),
    await timed('recent jobs, 50 (`baton jobs`)', () => recentJobs(db, 50)),
    await timed("an app's snapshots (`baton snapshots`)", () => appSnapshots(db, busiestApp)),
    await timed("a job's events (`baton job`)", () => jobEvents(db, someJob)),
    await timed('cluster events, 20 (`baton status`)', () => clusterEvents(db, cluster, 20)),
    await timed('live jobs (the coordinator reconcile)', () => liveJobIds(db, cluster)),
  ];
}

const BATCH = 200;

/** Copies every row of `from`'s tables (SQLite) into the same tables of `to`, which is migrated and empty. */
export async function copyCatalog(from: Catalog, to: Catalog): Promise<void> {
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'
    and name not like 'kysely_%' and name not like 'sqlite_%'`.execute(from);
  for (const { name } of tables.rows) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(from)).rows;
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      const columns = Object.keys(batch[0]);
      await sql`insert into ${sql.table(name)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${sql.join(
        batch.map((r) => sql`(${sql.join(columns.map((c) => r[c]))})`),
      )}`.execute(to);
    }
  }
}

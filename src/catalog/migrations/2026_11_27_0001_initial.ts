/**
 * Catalog v0: nodes, apps, drives, jobs and the job event timeline. Released migrations never
 * change; add a new file with a later date prefix instead.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres } from '../dialect';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('nodes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('apps')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('paths_json', 'text', (c) => c.notNull())
    .addColumn('restart', 'text', (c) => c.notNull())
    .addColumn('max_checkpoint_age_s', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('drives')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('drive', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('files', 'bigint')
    .addColumn('bytes', 'bigint')
    .addColumn('location', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('jobs_app_started').on('jobs').columns(['app', 'started_at']).execute();
  await db.schema
    .createTable('job_events')
    .addColumn('id', isPostgres(db) ? 'bigserial' : 'integer', (c) =>
      isPostgres(db) ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('node', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data_json', 'text')
    .execute();
  await db.schema.createIndex('job_events_job').on('job_events').columns(['job_id', 'id']).execute();
  await sql`select 1`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['job_events', 'jobs', 'drives', 'apps', 'nodes']) await db.schema.dropTable(table).execute();
}

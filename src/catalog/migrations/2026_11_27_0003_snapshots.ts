/** Catalog v2: snapshots, one row per committed backup, with the drive that holds it. */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('drive', 'text', (c) => c.notNull())
    .addColumn('drive_path', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('files', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('new_bytes', 'bigint', (c) => c.notNull())
    .addColumn('incomplete', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('snapshots_app_at').on('snapshots').columns(['app', 'at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('snapshots').execute();
}

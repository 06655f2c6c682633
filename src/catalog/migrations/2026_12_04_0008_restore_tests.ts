/**
 * Catalog v8 (restoretest2; renumbered at merge): restore_tests, one row per restore-test run
 * (docs/catalog.md): which snapshot, on which node, how much was compared, how it ended and why.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('restore_tests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('drive', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('sample', 'text')
    .addColumn('seed', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('files', 'bigint')
    .addColumn('bytes', 'bigint')
    .addColumn('path', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('restore_tests_by_app')
    .on('restore_tests')
    .columns(['cluster', 'app', 'started_at'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('restore_tests').execute();
}

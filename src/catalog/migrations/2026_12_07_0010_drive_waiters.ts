/**
 * Catalog v9: drive_waiters, the jobs waiting for a drive another job holds, in the order they
 * first asked (drive-line.ts). A drive a job releases goes to the oldest waiter still waiting, not
 * to whichever retry comes first.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('drive_waiters')
    .addColumn('drive', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('drive_waiters_pk', ['drive', 'job_id'])
    .execute();
  await db.schema.createIndex('drive_waiters_by_job').on('drive_waiters').column('job_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drive_waiters').execute();
}

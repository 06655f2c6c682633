/**
 * Catalog v1: attempts with their fencing epochs and restart reasons, checkpoints, and drive
 * leases. jobs.epoch is the epoch of the job's current attempt; anything older is fenced off.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('attempts')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('drive', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('outcome', 'text')
    .addColumn('restart_kind', 'text')
    .addColumn('restart_reason', 'text')
    .addColumn('resumed_from_json', 'text')
    .addPrimaryKeyConstraint('attempts_pk', ['job_id', 'number'])
    .execute();
  await db.schema
    .createTable('checkpoints')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('files', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('data_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoints_pk', ['job_id', 'seq'])
    .execute();
  await db.schema
    .createTable('drive_leases')
    .addColumn('drive', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drive_leases').execute();
  await db.schema.dropTable('checkpoints').execute();
  await db.schema.dropTable('attempts').execute();
  await db.schema.alterTable('jobs').dropColumn('epoch').execute();
}

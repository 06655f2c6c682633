/**
 * Catalog v4: checkpoints are sealed with the key of the drive their attempt wrote to
 * (src/engine/checkpoint-seal.ts). A row names that drive (ID and path) and holds the sealed bytes;
 * `data_json` is left empty. Rows of jobs that already ended are deleted: from now on a job's
 * checkpoints go when it ends. Rows of running jobs stay, in clear, and are never resumed: the next
 * attempt of such a job restarts fresh, saying why.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkpoints').addColumn('drive_id', 'text').execute();
  await db.schema.alterTable('checkpoints').addColumn('drive_path', 'text').execute();
  await db.schema.alterTable('checkpoints').addColumn('seal', 'text').execute();
  await db.schema.alterTable('checkpoints').addColumn('sealed', 'text').execute();
  await db
    .deleteFrom('checkpoints')
    .where('job_id', 'not in', db.selectFrom('jobs').select('id').where('state', '=', 'running'))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  // sealed rows cannot go back to clear JSON: they are dropped with the columns
  await db.deleteFrom('checkpoints').where('sealed', 'is not', null).execute();
  for (const column of ['sealed', 'seal', 'drive_path', 'drive_id'])
    await db.schema.alterTable('checkpoints').dropColumn(column).execute();
}

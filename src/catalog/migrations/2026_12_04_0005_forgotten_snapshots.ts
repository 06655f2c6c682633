/** Catalog v4: snapshots a retention job forgot stay as rows, marked with when and by which job. */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('snapshots').addColumn('forgotten_at', 'text').execute();
  await db.schema.alterTable('snapshots').addColumn('forgotten_by', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('snapshots').dropColumn('forgotten_by').execute();
  await db.schema.alterTable('snapshots').dropColumn('forgotten_at').execute();
}

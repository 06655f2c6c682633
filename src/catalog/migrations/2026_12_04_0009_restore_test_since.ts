/**
 * Catalog v8: when each app's restore test was configured (the plan that first gave it one was
 * saved), so an app whose restore test never passed can still be found overdue.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('restore_test_since', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('restore_test_since').execute();
}

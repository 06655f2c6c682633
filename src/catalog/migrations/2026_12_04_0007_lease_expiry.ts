/**
 * Catalog v6: a drive lease carries `expires_at`, renewed by its attempt while it works
 * (attempts.ts renewLease). Another job's attempt takes over a lease past its expiry instead of
 * waiting for the holder to end. Leases already held keep no expiry: they wait on the holder's
 * state, as before.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('drive_leases').addColumn('expires_at', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('drive_leases').dropColumn('expires_at').execute();
}

/** Opens the catalog and brings its schema up to date. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import { createDialect, parseCatalogUrl } from './dialect';
import * as m0001 from './migrations/2026_11_27_0001_initial';
import * as m0002 from './migrations/2026_11_27_0002_attempts';
import * as m0003 from './migrations/2026_11_27_0003_snapshots';
import * as m0004 from './migrations/2026_12_04_0004_hosts';
import * as m0005 from './migrations/2026_12_04_0005_forgotten_snapshots';
import * as m0006 from './migrations/2026_12_04_0006_sealed_checkpoints';
import * as m0007 from './migrations/2026_12_04_0007_lease_expiry';
import * as m0008 from './migrations/2026_12_04_0008_restore_tests';
import * as m0009 from './migrations/2026_12_04_0009_restore_test_since';
import * as m0010 from './migrations/2026_12_07_0010_drive_waiters';
import type { Database } from './schema';

/** Every migration, by name; names sort in the order they run. */
const MIGRATIONS: Record<string, Migration> = {
  '2026_11_27_0001_initial': m0001,
  '2026_11_27_0002_attempts': m0002,
  '2026_11_27_0003_snapshots': m0003,
  '2026_12_04_0004_hosts': m0004,
  '2026_12_04_0005_forgotten_snapshots': m0005,
  '2026_12_04_0006_sealed_checkpoints': m0006,
  '2026_12_04_0007_lease_expiry': m0007,
  '2026_12_04_0008_restore_tests': m0008,
  '2026_12_04_0009_restore_test_since': m0009,
  '2026_12_07_0010_drive_waiters': m0010,
};

class StaticProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

export type Catalog = Kysely<Database>;

export async function migrate(db: Catalog): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const name = failed?.migrationName ?? 'unknown';
    throw new Error(`catalog migration ${name} failed: ${String((error as Error | undefined)?.message ?? error)}`, {
      cause: error,
    });
  }
}

/** Opens the catalog at `url` (sqlite:<path> or postgres://...) and migrates it to the latest schema. */
export async function openCatalog(url: string): Promise<Catalog> {
  const parsed = parseCatalogUrl(url);
  if (parsed.kind === 'sqlite') mkdirSync(dirname(parsed.target), { recursive: true });
  const db = new Kysely<Database>({ dialect: createDialect(parsed) });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

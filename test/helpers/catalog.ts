/**
 * Catalog tests run once per dialect: SQLite always, PostgreSQL when its server is installed (CI
 * installs it). BATON_CATALOG_DIALECTS=sqlite narrows the run. Every test gets an empty catalog of
 * its own (a new SQLite file, a new PostgreSQL database on the suite's server), so no test depends
 * on what another left behind.
 */
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { sql } from 'kysely';
import { openCatalog, type Catalog } from '../../src/catalog/open';
import { startPostgres, type TestPostgres } from './postgres';
import { tempDir } from './temp';

export interface TestCatalog {
  /** The current test's catalog, open and migrated. */
  db(): Catalog;
  /** Its URL, to open it again. */
  url(): string;
}

const wanted = (process.env.BATON_CATALOG_DIALECTS ?? 'sqlite,postgres').split(',');

export function describeCatalog(title: string, suite: (catalog: TestCatalog) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe(`${title} on ${dialect}`, { skip: !wanted.includes(dialect) && `not in BATON_CATALOG_DIALECTS` }, () => {
      let pg: TestPostgres | undefined;
      let admin: Catalog | undefined;
      let db: Catalog | undefined;
      let url = '';
      let made = 0;

      before(async () => {
        if (dialect !== 'postgres') return;
        pg = await startPostgres();
        if (!pg)
          throw new Error(
            'PostgreSQL server binaries not found; apt-get install postgresql, or set BATON_CATALOG_DIALECTS=sqlite',
          );
        admin = await openCatalog(pg.url);
      });
      beforeEach(async () => {
        if (dialect === 'sqlite') {
          url = `sqlite:${join(tempDir('baton-cat-').path, 'catalog.db')}`;
        } else {
          const name = `test_${++made}`;
          await sql`create database ${sql.id(name)}`.execute(admin as Catalog);
          url = (pg as TestPostgres).url.replace(/\/postgres$/, `/${name}`);
        }
        db = await openCatalog(url);
      });
      afterEach(async () => {
        await db?.destroy();
        db = undefined;
      });
      after(async () => {
        await admin?.destroy();
        pg?.stop();
      });

      suite({
        db: () => {
          if (!db) throw new Error('the catalog is open only inside a test');
          return db;
        },
        url: () => url,
      });
    });
  }
}

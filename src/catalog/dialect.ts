/** Builds the Kysely dialect for a catalog URL: `sqlite:<path>` or `postgres://...`. */
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  type Dialect,
} from 'kysely';
import { Pool } from 'pg';

export type CatalogKind = 'sqlite' | 'postgres';

export interface CatalogUrl {
  kind: CatalogKind;
  /** File path for SQLite, connection string for PostgreSQL. */
  target: string;
}

export function parseCatalogUrl(url: string): CatalogUrl {
  if (url.startsWith('sqlite:')) {
    const target = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!target) throw new Error(`catalog URL "${url}" has no file path; write it as sqlite:/path/to/catalog.db`);
    return { kind: 'sqlite', target };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', target: url };
  throw new Error(
    `catalog URL "${url}" is neither sqlite: nor postgres://; ` +
      'use sqlite:/path/to/catalog.db or postgres://user@host:5432/baton',
  );
}

/**
 * SQLite with `BEGIN IMMEDIATE` transactions. Several processes write one catalog file; a deferred
 * transaction that reads and then writes fails at once with SQLITE_BUSY when another process
 * wrote in between, while an immediate one takes the write lock first and waits busy_timeout.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

export function createDialect(url: CatalogUrl): Dialect {
  if (url.kind === 'sqlite') {
    return new ImmediateSqliteDialect({
      database: async () => {
        const db = new BetterSqlite3(url.target);
        // Several node processes share one catalog file: WAL lets readers run beside a writer,
        // and busy_timeout makes a writer wait its turn instead of failing.
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 10000');
        db.pragma('foreign_keys = ON');
        return Promise.resolve(db);
      },
    });
  }
  const pool = new Pool({ connectionString: url.target, max: 4 });
  // An idle connection the server drops (a PostgreSQL restart or failover, an admin's
  // pg_terminate_backend) is reported on the pool; without a listener that error is uncaught and
  // kills the node process. The pool discards that connection; the next query opens a new one and
  // reports its own error, if any, to its caller.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

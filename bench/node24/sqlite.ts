/**
 * better-sqlite3 against `node:sqlite` (Node >= 22.5) on a catalog-like file: the catalog's jobs and
 * job_events tables and indexes (src/catalog/migrations), opened as src/catalog/dialect.ts opens
 * it (WAL, busy_timeout, foreign keys; each library's other defaults), prepared statements reused.
 * Both are driven the same way, through the few calls they share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';

type Value = string | number | null;

/** The calls better-sqlite3 and node:sqlite share (node:sqlite's types are not in @types/node 20). */
interface Statement {
  run(...params: Value[]): unknown;
  get(...params: Value[]): unknown;
  all(...params: Value[]): unknown[];
}
interface Connection {
  exec(sql: string): unknown;
  prepare(sql: string): Statement;
  close(): unknown;
}
interface NodeSqlite {
  DatabaseSync: new (path: string) => Connection;
}

/**
 * `node`: node:sqlite with `synchronous = NORMAL`, what better-sqlite3 runs a WAL file at (it is built
 * with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1); `nodeFull`: node:sqlite as it comes, FULL (a sync per commit).
 */
type Driver = 'better' | 'node' | 'nodeFull';
const DRIVERS: Driver[] = ['better', 'node', 'nodeFull'];

function open(driver: Driver, path: string): Connection {
  const db =
    driver === 'better'
      ? (new BetterSqlite3(path) as unknown as Connection)
      : new (createRequire(__filename)('node:sqlite') as NodeSqlite).DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`
    CREATE TABLE jobs (id text PRIMARY KEY, cluster text NOT NULL, app text NOT NULL, kind text NOT NULL,
      node text NOT NULL, drive text NOT NULL, state text NOT NULL, requested_by text NOT NULL,
      started_at text NOT NULL, finished_at text, files bigint, bytes bigint, location text, error text,
      epoch integer NOT NULL DEFAULT 0);
    CREATE INDEX jobs_app_started ON jobs (app, started_at);
    CREATE TABLE job_events (id integer PRIMARY KEY AUTOINCREMENT, cluster text NOT NULL, job_id text,
      at text NOT NULL, kind text NOT NULL, node text, message text NOT NULL, data_json text);
    CREATE INDEX job_events_job ON job_events (job_id, id);`);
  if (driver === 'node') db.exec('PRAGMA synchronous = NORMAL');
  return db;
}

export interface SqliteSetup {
  events: number;
  jobs: number;
  notes: string[];
}

export interface SqliteRow {
  what: string;
  better: number;
  node: number;
  nodeFull: number;
}

/** `SQLite 3.x.y, synchronous=n` as the driver opens the bench's file. */
function version(driver: Driver): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-sqlite-'));
  try {
    const db = open(driver, join(dir, 'v.db'));
    const row = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    const sync = db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    db.close();
    return `SQLite ${row.v}, synchronous=${sync.synchronous}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sqliteSetup(events: number): SqliteSetup {
  const jobs = Math.max(1, Math.round(events / 100));
  return {
    events,
    jobs,
    notes: [
      `SQLite: a file in ${tmpdir()} in WAL mode; better-sqlite3: ${version('better')}; node:sqlite: ` +
        `${version('node')} when set, ${version('nodeFull')} as it comes (1 NORMAL, 2 FULL); ` +
        `${jobs} jobs, ${events} job events (${events / jobs} a job), ${events / 10} more one statement each`,
    ],
  };
}

const APPS = ['sample-db', 'drill-db', 'mail', 'wiki', 'ledger'];

function event(job: string, i: number): Value[] {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  const data = JSON.stringify({ files: i * 37, bytes: i * 1048576, drive: 'drive-2', epoch: 1 });
  return ['demo', job, at, 'progress', 'node-2', `backup of ${job}: ${i * 37} files, ${i} MiB so far`, data];
}

type Ops = { what: string; count: number; run: () => void }[];

/** The operations in the order they run, each over `count` operations. */
function operations(db: Connection, s: SqliteSetup): Ops {
  const ids = Array.from({ length: s.jobs }, (_, j) => `backup-${APPS[j % APPS.length]}-${String(j).padStart(6, '0')}`);
  const insertEvent = db.prepare(
    'INSERT INTO job_events (cluster, job_id, at, kind, node, message, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const findJob = db.prepare('SELECT id FROM jobs WHERE id = ?');
  const insertJob = db.prepare(
    'INSERT INTO jobs (id, cluster, app, kind, node, drive, state, requested_by, started_at) ' +
      "VALUES (?, 'demo', ?, 'backup', 'node-2', 'drive-2', 'running', 'schedule', ?)",
  );
  const timeline = db.prepare('SELECT * FROM job_events WHERE job_id = ? ORDER BY id');
  const getJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
  const recent = db.prepare('SELECT * FROM jobs WHERE app = ? ORDER BY started_at DESC LIMIT 20');
  const perJob = s.events / s.jobs;
  const tx = (body: () => void): void => {
    db.exec('BEGIN IMMEDIATE');
    body();
    db.exec('COMMIT');
  };
  const each = (n: number, fn: (i: number) => void) => () => {
    for (let i = 0; i < n; i++) fn(i);
  };
  return [
    {
      what: `job start (select, insert job, insert event: one transaction), ${s.jobs} jobs`,
      count: s.jobs,
      run: each(s.jobs, (j) =>
        tx(() => {
          if (findJob.get(ids[j]) === undefined) insertJob.run(ids[j], APPS[j % APPS.length], event(ids[j], 0)[2]);
          insertEvent.run(...event(ids[j], 0));
        }),
      ),
    },
    {
      what: `insert job events, ${perJob} a transaction, ${s.events} events`,
      count: s.events,
      run: each(s.jobs, (j) => tx(each(perJob, (i) => insertEvent.run(...event(ids[j], i + 1))))),
    },
    {
      what: `insert job events, one a statement (autocommit), ${s.events / 10} events`,
      count: s.events / 10,
      run: each(s.events / 10, (i) => insertEvent.run(...event(ids[i % s.jobs], perJob + 1 + i))),
    },
    {
      what: `a job's timeline (job_events_job index, ~${perJob + 11} rows), ${s.jobs * 10} queries`,
      count: s.jobs * 10,
      run: each(s.jobs * 10, (i) => timeline.all(ids[i % s.jobs])),
    },
    {
      what: `a job by id, ${s.events} queries`,
      count: s.events,
      run: each(s.events, (i) => getJob.get(ids[i % s.jobs])),
    },
    {
      what: `an app's 20 latest jobs (jobs_app_started index), ${s.events / 10} queries`,
      count: s.events / 10,
      run: each(s.events / 10, (i) => recent.all(APPS[i % APPS.length])),
    },
  ];
}

/** One driver's operations/s on a fresh file, in order. */
function round(driver: Driver, s: SqliteSetup): { what: string; perSecond: number }[] {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-sqlite-'));
  try {
    const db = open(driver, join(dir, 'catalog.db'));
    const out = operations(db, s).map((op) => {
      const start = performance.now();
      op.run();
      return { what: op.what, perSecond: op.count / ((performance.now() - start) / 1000) };
    });
    const { n } = db.prepare('SELECT count(*) AS n FROM job_events').get() as { n: number };
    if (n !== s.jobs + s.events + s.events / 10) throw new Error(`${driver}: ${n} job events, expected more`);
    db.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function sqliteRows(s: SqliteSetup, rounds: number, say: (msg: string) => void): SqliteRow[] {
  const results: Record<Driver, { what: string; perSecond: number }[][]> = { better: [], node: [], nodeFull: [] };
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < DRIVERS.length; i++) {
      const driver = DRIVERS[(r + i) % DRIVERS.length];
      results[driver].push(round(driver, s));
    }
    say(`SQLite round ${r + 1} of ${rounds} done`);
  }
  return results.better[0].map((op, k) => ({
    what: op.what,
    better: median(results.better.map((rs) => rs[k].perSecond)),
    node: median(results.node.map((rs) => rs[k].perSecond)),
    nodeFull: median(results.nodeFull.map((rs) => rs[k].perSecond)),
  }));
}

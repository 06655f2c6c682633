/**
 * Could Node 24's built-ins replace two native modules? Measures, on Node >= 22.15, in one thread:
 *
 * - zstd: zstd-napi (as src/engine/blob.ts uses it: a reused context into a reused buffer, and its
 *   one-shot calls) against `zlib.zstdCompressSync`/`zstdDecompressSync`, at the engine's level
 *   (ZSTD_LEVEL), on 1 MiB chunks (the chunker's average) of the engine benchmark's data
 *   (bench/engine/dataset.ts: pseudo-English text and random bytes, and both interleaved);
 * - SQLite: better-sqlite3 against `node:sqlite`, on a catalog-like file (the catalog's job_events and
 *   jobs tables and indexes, WAL, as src/catalog/dialect.ts opens it): inserting job events in
 *   transactions and one per statement, and indexed selects.
 *
 * Writes its figures to the `node24-builtins` section of docs/benchmarks.md:
 *
 *   npm run build && node dist/bench/node24/builtins.js [--mib 32] [--rounds 5] [--events 10000] [--out FILE]
 *
 * Node 20 has neither built-in: run it with Node 24 (scripts/node24.sh keeps a Node 24 in
 * ~/.cache/baton/node-24 and builds a checkout's native modules for it).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { spliceNamedSection } from '../section';
import { zstdRows, zstdSetup, type ZstdRow } from './zstd';
import { sqliteRows, sqliteSetup, type SqliteRow } from './sqlite';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const mib = Number(args.get('mib') ?? 32);
const rounds = Number(args.get('rounds') ?? 5);
const events = Number(args.get('events') ?? 10000);
const repoRoot = resolve(__dirname, '..', '..', '..');
const outFile = resolve(args.get('out') ?? join(repoRoot, 'docs', 'benchmarks.md'));

function say(msg: string): void {
  console.error(`bench node24: ${msg}`);
}

/** The other contender's figure relative to the native module's: `1.07x` is 7% faster. */
function relative(native: number, builtin: number): string {
  return `${(builtin / native).toFixed(2)}x`;
}

function zstdTable(rows: ZstdRow[]): string[] {
  return [
    '| zstd, MiB/s of plain data | zstd-napi, reused context (engine) | zstd-napi, one-shot | zlib | zlib, one output chunk | best zlib / engine |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${r.engine.toFixed(0)} | ${r.oneShot.toFixed(0)} | ${r.zlib.toFixed(0)} | ` +
        `${r.zlibBig.toFixed(0)} | ${relative(r.engine, Math.max(r.zlib, r.zlibBig))} |`,
    ),
  ];
}

function sqliteTable(rows: SqliteRow[]): string[] {
  return [
    '| SQLite, operations/s | better-sqlite3 | node:sqlite, synchronous=NORMAL | node:sqlite, its default synchronous=FULL | node:sqlite (NORMAL) / better-sqlite3 |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${r.better.toFixed(0)} | ${r.node.toFixed(0)} | ${r.nodeFull.toFixed(0)} | ` +
        `${relative(r.better, r.node)} |`,
    ),
  ];
}

interface Results {
  zstd: ZstdRow[];
  zstdNotes: string[];
  sqlite: SqliteRow[];
  sqliteNotes: string[];
  load: { before: number; after: number };
}

function sectionText(r: Results): string {
  return [
    '## Node 24 built-ins against native modules',
    '',
    'Written by `bench/node24/builtins.ts` (`npm run build && node dist/bench/node24/builtins.js`, on Node 24). ' +
      'Figures are what that run MEASURED on the machine below, one thread, median of ' +
      `${rounds} rounds (the contenders take turns within a round).`,
    '',
    `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), date ${new Date().toISOString()}, ` +
      `Node.js ${process.version}; 1-minute load average ${r.load.before.toFixed(1)} before and ` +
      `${r.load.after.toFixed(1)} after (other work shares the machine)`,
    ...r.zstdNotes.map((n) => `- ${n}`),
    ...r.sqliteNotes.map((n) => `- ${n}`),
    '',
    ...zstdTable(r.zstd),
    '',
    ...sqliteTable(r.sqlite),
  ].join('\n');
}

async function main(): Promise<void> {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    throw new Error(`Node ${process.version} has no zlib zstd or node:sqlite; run this with Node >= 22.15 (24 LTS)`);
  }
  const loadBefore = loadavg()[0];
  say(`zstd: ${mib} MiB of text and ${mib} MiB of random data, ${rounds} rounds`);
  const zstd = zstdSetup(mib);
  const zstdResults = zstdRows(zstd, rounds, say);
  say(`SQLite: ${events} job events, ${rounds} rounds`);
  const sqlite = sqliteSetup(events);
  const sqliteResults = sqliteRows(sqlite, rounds, say);
  const section = sectionText({
    zstd: zstdResults,
    zstdNotes: zstd.notes,
    sqlite: sqliteResults,
    sqliteNotes: sqlite.notes,
    load: { before: loadBefore, after: loadavg()[0] },
  });
  const before = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  // Formatted as `npm run lint` (prettier --check) expects.
  const options = (await resolveConfig(outFile)) ?? {};
  const text = spliceNamedSection(before, 'node24-builtins', section);
  writeFileSync(outFile, await format(text, { ...options, parser: 'markdown' }));
  say(`wrote the node24-builtins section of ${outFile}`);
  console.log(section);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

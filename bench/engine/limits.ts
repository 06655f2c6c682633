/**
 * The per-core limits of bench/engine's three figures: each step a backup or a restore of its
 * datasets cannot skip (list, read, cut, hash, compress, seal, write), done with the engine's own
 * code on one thread, one step after another, timed in CPU seconds; then baton itself on the same
 * datasets in the same run. The sum of the steps is the work no design of this format avoids; half
 * of it is the wall time of a perfect use of two cores; what baton spends above it is overhead
 * (threads, messages, collections, bookkeeping), which is where a faster engine has room.
 *
 *   npm run build && node dist/bench/engine/limits.js [--work /tmp/baton-bench] [--scale 1] [--many 100000] [--rounds 3] [--out docs/benchmarks.md]
 *
 * It reads the datasets run.ts made under --work with the same --scale and --many (data-1 and
 * many-100000 by default; run that first), writes packs under --work/limits, and its section is
 * `engine-limits` in the --out file.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  futimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DCtx } from 'zstd-napi/binding';
import { OVERHEAD, openInto, sealInto } from '../../src/engine/crypto';
import { ZSTD_LEVEL, compressBlob } from '../../src/engine/blob';
import { ChunkBuffer } from '../../src/engine/chunker';
import { blobAad, FORMAT_VERSION } from '../../src/engine/config';
import { contentIds } from '../../src/engine/content-key';
import { AlignedBuffer } from '../../src/engine/direct-write';
import { statBatch, type EntryStats } from '../../src/engine/entry-stats';
import { blobId, contentId } from '../../src/engine/hash';
import { encodeTree, makeNode, type TreeNode } from '../../src/engine/tree';
import { deriveKek, newKdfParams } from '../../src/engine/kdf';
import { run, timed, type Measure } from './commands';
import { CAN_DROP, dropCaches, warm } from './page-cache';
import { spliceNamedSection } from '../section';

const { values: opts } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/baton-bench' },
    scale: { type: 'string', default: '1' },
    many: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
  },
});
const work = resolve(opts.work);
const rounds = Number(opts.rounds);
const DATA = join(work, `data-${opts.scale}`);
const MANY = join(work, `many-${opts.many}`);
const DATA_NAME = opts.scale === '1' ? '1 GiB set' : `dataset scale ${opts.scale}`;
const MANY_NAME = `${Number(opts.many).toLocaleString('en')} tiny files`;
const PACK = 16 * 2 ** 20;
const repoRoot = resolve(__dirname, '../../..');

/** CPU seconds (user + system, every thread of the process) per step, added up over a pass. */
class Steps {
  readonly cpu: Map<string, number>;

  /** `order`: the steps in the order the tables list them */
  constructor(order: readonly string[]) {
    this.cpu = new Map(order.map((s) => [s, 0]));
  }

  time<T>(step: string, f: () => T): T {
    const t0 = process.cpuUsage();
    const r = f();
    const d = process.cpuUsage(t0);
    this.cpu.set(step, (this.cpu.get(step) ?? 0) + (d.user + d.system) / 1e6);
    return r;
  }

  add(step: string, seconds: number): void {
    this.cpu.set(step, (this.cpu.get(step) ?? 0) + seconds);
  }
}

interface Entry {
  path: string;
  name: Buffer;
  st: EntryStats;
}

/** A directory's regular files, as a walk lists them. */
interface Listed {
  files: Entry[];
}

/**
 * Every directory under `root` with its regular files: each directory read, its entries lstat'ed
 * (with the xattr check) a slice at a time in one native call, as the engine's walk does.
 */
function list(root: string, steps: Steps): Listed[] {
  return steps.time('list: readdir, lstat and xattr check', () => {
    const out: Listed[] = [];
    const visit = (dir: string): void => {
      const names = readdirSync(dir).sort();
      const paths = names.map((n) => Buffer.from(join(dir, n)));
      const files: Entry[] = [];
      const dirs: string[] = [];
      for (let i = 0; i < paths.length; i += 512) {
        statBatch(paths.slice(i, i + 512)).forEach((b, j) => {
          if (!('st' in b)) throw new Error(`lstat ${paths[i + j].toString()} failed (errno ${b.errno})`);
          const path = paths[i + j].toString();
          if (b.st.isDirectory()) dirs.push(path);
          else if (b.st.isFile() && names[i + j] !== '.complete') {
            files.push({ path, name: Buffer.from(names[i + j]), st: b.st });
          }
        });
      }
      out.push({ files });
      dirs.forEach(visit);
    };
    visit(root);
    return out;
  });
}

/** Where a stored blob is, for the restore pass. */
interface Stored {
  pack: number;
  start: number;
  length: number;
  rawLength: number;
  compressed: boolean;
}

interface BackedUp {
  files: { path: string; chunks: string[] }[];
  blobs: Map<string, Stored>;
  packs: string[];
  uniqueBytes: number;
}

const COMPRESS_STEP = `compress (zstd ${ZSTD_LEVEL} where it shrinks)`;
const TREE_STEP = 'trees: a node per file, encoded, ID, compressed, sealed';
const BACKUP_STEPS = [
  'list: readdir, lstat and xattr check',
  'open, read, fstat, close',
  'cut (FastCDC, keyed gear)',
  'blob ID (keyed BLAKE3)',
  COMPRESS_STEP,
  'seal (AES-256-GCM)',
  TREE_STEP,
  'pack ID (BLAKE3 of the pack)',
  'pack write (O_DIRECT, fsync)',
];
const RESTORE_STEPS = [
  'read the packs (cold cache)',
  'open (AES-256-GCM)',
  'decompress (zstd)',
  'check the blob ID (keyed BLAKE3)',
  'create (directories, O_EXCL)',
  'write',
  'mode, times, close',
];
const KDF_STEP = 'key derivation (scrypt N=2^15, r=8, p=6)';
const key = randomBytes(32);
const ids = contentIds(randomBytes(32));

/** Reads `file` into `chunker` to its end, as the engine reads: a byte more than listed, to see a file that grew. */
function readWhole(file: Entry, chunker: ChunkBuffer): number {
  const size = Number(file.st.size);
  chunker.reserve(size + 1);
  const fd = openSync(file.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  let n = 0;
  for (;;) {
    const r = readSync(fd, chunker.bytes, n, size + 1 - n, n);
    n += r;
    if (r === 0 || n > size) break;
  }
  fstatSync(fd, { bigint: true });
  closeSync(fd);
  return n;
}

/** The chunk lengths of the first `size` bytes in `chunker`. */
function cut(chunker: ChunkBuffer, size: number): number[] {
  const out: number[] = [];
  for (let pos = 0; pos < size;) {
    const len = chunker.findCut(pos, size, true);
    out.push(len);
    pos += len;
  }
  return out;
}

/**
 * A first backup of `root`'s files into packs under `packDir`: each file read whole, cut, each chunk
 * hashed (keyed BLAKE3), and each new one compressed (zstd at the default level, when it shrinks)
 * and sealed (AES-256-GCM) straight into a page-aligned pack, which is hashed for its ID and
 * written with O_DIRECT and fsync'ed when full; and a tree per directory naming its files. No
 * index, no snapshot, no directory nodes (a few per cent of the tree work): the floor.
 */
function backup(root: string, packDir: string, steps: Steps): BackedUp {
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  const chunker = new ChunkBuffer(PACK);
  if (ids.gear) chunker.setGear(ids.gear);
  const pack = new AlignedBuffer(PACK);
  let used = 0;
  const result: BackedUp = { files: [], blobs: new Map(), packs: [], uniqueBytes: 0 };
  const flush = (): void => {
    if (used === 0) return;
    const bytes = pack.bytes.subarray(0, used);
    const id = steps.time('pack ID (BLAKE3 of the pack)', () => contentId(bytes));
    const path = join(packDir, id);
    steps.time('pack write (O_DIRECT, fsync)', () => {
      const padded = Math.ceil(used / 4096) * 4096;
      pack.bytes.fill(0, used, padded);
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, 0o600);
      for (let done = 0; done < padded;) done += writeSync(fd, pack.bytes, done, padded - done, done);
      fsyncSync(fd);
      closeSync(fd);
    });
    result.packs.push(path);
    used = 0;
  };
  /** Stores a blob unless stored; a tree's steps count as one. */
  const store = (plain: Uint8Array, type: 'data' | 'tree'): string => {
    const step = (name: string) => (type === 'tree' ? TREE_STEP : name);
    const id = steps.time(step('blob ID (keyed BLAKE3)'), () => blobId(ids.idKey, plain));
    if (result.blobs.has(id)) return id;
    const { payload, compressed } = steps.time(step(COMPRESS_STEP), () => compressBlob(plain, ZSTD_LEVEL));
    const length = payload.length + OVERHEAD;
    if (used + length > PACK) flush();
    const dst = pack.bytes.subarray(used, used + length);
    steps.time(step('seal (AES-256-GCM)'), () => sealInto(key, payload, dst, blobAad(FORMAT_VERSION, type, id)));
    result.blobs.set(id, { pack: result.packs.length, start: used, length, rawLength: plain.length, compressed });
    if (type === 'data') result.uniqueBytes += plain.length;
    used += length;
    return id;
  };
  for (const { files } of list(root, steps)) {
    const nodes: TreeNode[] = [];
    for (const file of files) {
      const got = steps.time('open, read, fstat, close', () => readWhole(file, chunker));
      const lengths = steps.time('cut (FastCDC, keyed gear)', () => cut(chunker, got));
      const chunks: string[] = [];
      let pos = 0;
      for (const len of lengths) {
        chunks.push(store(chunker.bytes.subarray(pos, pos + len), 'data'));
        pos += len;
      }
      result.files.push({ path: relative(root, file.path), chunks });
      nodes.push(steps.time(TREE_STEP, () => makeNode(file.name, 'file', file.st, { content: chunks })));
    }
    store(
      steps.time(TREE_STEP, () => encodeTree(nodes)),
      'tree',
    );
  }
  flush();
  return result;
}

/**
 * A restore of what `backup` stored into `target`, from a cold page cache: every pack read, each
 * blob opened, decompressed and its ID checked, each file created, written, given its mode and
 * times, and closed.
 */
function restore(b: BackedUp, target: string, steps: Steps): number {
  rmSync(target, { recursive: true, force: true });
  dropCaches();
  const t0 = performance.now();
  const packs = steps.time('read the packs (cold cache)', () => b.packs.map((p) => readFileSync(p)));
  const readWall = (performance.now() - t0) / 1000;
  const dctx = new DCtx();
  let opened = Buffer.alloc(PACK);
  let plain = Buffer.alloc(PACK);
  const made = new Set<string>();
  for (const file of b.files) {
    const path = join(target, file.path);
    const fd = steps.time('create (directories, O_EXCL)', () => {
      const dir = dirname(path);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    });
    for (const id of file.chunks) {
      const s = b.blobs.get(id) as Stored;
      if (opened.length < s.length) opened = Buffer.alloc(s.length);
      if (plain.length < s.rawLength) plain = Buffer.alloc(s.rawLength);
      const payload = steps.time('open (AES-256-GCM)', () =>
        openInto(key, packs[s.pack].subarray(s.start, s.start + s.length), opened, blobAad(FORMAT_VERSION, 'data', id)),
      );
      if (payload === null) throw new Error(`blob ${id} does not open`);
      const data = s.compressed
        ? steps.time('decompress (zstd)', () => plain.subarray(0, dctx.decompress(plain, payload)))
        : payload;
      steps.time('check the blob ID (keyed BLAKE3)', () => {
        if (blobId(ids.idKey, data) !== id) throw new Error(`blob ${id} has other content`);
      });
      steps.time('write', () => {
        for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done);
      });
    }
    steps.time('mode, times, close', () => {
      fchmodSync(fd, 0o644);
      futimesSync(fd, 1_700_000_000, 1_700_000_000);
      closeSync(fd);
    });
  }
  return readWall;
}

/** The key derivation every baton command pays: scrypt as `init` calibrates it (N=2^15, r=8, p=6). */
async function kdf(steps: Steps): Promise<Steps> {
  const t0 = process.cpuUsage();
  await deriveKek('bench', newKdfParams(2 ** 15, 6));
  const d = process.cpuUsage(t0);
  steps.add(KDF_STEP, (d.user + d.system) / 1e6);
  return steps;
}

const env = { ...process.env, BATON_PASSWORD: 'bench', BATON_CACHE_DIR: join(work, 'limits', 'baton-cache') };

/** baton's own first backup, cold restore and tiny-files backup, as bench/engine runs them. */
function baton(): { backup: Measure; restore: Measure; tiny: Measure } {
  const dir = join(work, 'limits', 'baton');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const repo = (...args: string[]) => [process.execPath, join(repoRoot, 'bin/baton.js'), 'repo', ...args];
  run(repo('init', '--drive', join(dir, 'big')), env);
  run(repo('init', '--drive', join(dir, 'tiny')), env);
  warm(DATA);
  const backup = timed(repo('backup', '--drive', join(dir, 'big'), '--app', 'bench', DATA), env);
  const snapshot = readdirSync(join(dir, 'big', 'snapshots'))[0];
  dropCaches();
  const restore = timed(repo('restore', '--drive', join(dir, 'big'), snapshot, '--target', join(dir, 'out')), env);
  warm(MANY);
  const tiny = timed(repo('backup', '--drive', join(dir, 'tiny'), '--no-cache', MANY), env);
  rmSync(dir, { recursive: true, force: true });
  return { backup, restore, tiny };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Column {
  figure: string;
  /** median CPU seconds of each step */
  steps: Map<string, number>;
  baton: Measure[];
}

interface Results {
  columns: Column[];
  kdfCpu: number;
  /** wall seconds of reading the packs from a cold cache, one thread (median) */
  readWall: number;
  unique: { big: number; tiny: number };
  load: [number, number];
}

/** A new pass's Steps, added to `passes`. */
function another(passes: Steps[], order: readonly string[]): Steps {
  const steps = new Steps(order);
  passes.push(steps);
  return steps;
}

/** `rounds` rounds of every pass and of baton's own runs, taking turns. */
async function measure(): Promise<Results> {
  const load0 = loadavg()[0];
  const passes = { backup: [] as Steps[], restore: [] as Steps[], tiny: [] as Steps[], kdf: [] as Steps[] };
  const readWalls: number[] = [];
  const runs: ReturnType<typeof baton>[] = [];
  let unique = { big: 0, tiny: 0 };
  const packs = join(work, 'limits', 'packs');
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`limits: round ${r + 1}/${rounds}\n`);
    passes.kdf.push(await kdf(new Steps([KDF_STEP])));
    warm(DATA);
    const big = backup(DATA, packs, another(passes.backup, BACKUP_STEPS));
    readWalls.push(restore(big, join(work, 'limits', 'restored'), another(passes.restore, RESTORE_STEPS)));
    warm(MANY);
    const tiny = backup(MANY, packs, another(passes.tiny, BACKUP_STEPS));
    unique = { big: big.uniqueBytes, tiny: tiny.uniqueBytes };
    rmSync(join(work, 'limits'), { recursive: true, force: true });
    runs.push(baton());
  }
  const med = (ps: Steps[]): Map<string, number> =>
    new Map([...ps[0].cpu.keys()].map((s) => [s, median(ps.map((p) => p.cpu.get(s) ?? 0))]));
  return {
    columns: [
      { figure: `first backup, ${DATA_NAME}`, steps: med(passes.backup), baton: runs.map((x) => x.backup) },
      { figure: 'restore (cold cache)', steps: med(passes.restore), baton: runs.map((x) => x.restore) },
      { figure: MANY_NAME, steps: med(passes.tiny), baton: runs.map((x) => x.tiny) },
    ],
    kdfCpu: med(passes.kdf).get(KDF_STEP) ?? 0,
    readWall: median(readWalls),
    unique,
    load: [load0, loadavg()[0]],
  };
}

const f2 = (x: number) => x.toFixed(2);
const row = (label: string, cells: string[]) => `| ${label} | ${cells.join(' | ')} |`;

/** The section of docs/benchmarks.md: one column a figure, one row a step, then baton against the sum. */
function report(r: Results): string {
  const cols = r.columns;
  const sums = cols.map((c) => [...c.steps.values()].reduce((x, y) => x + y, 0) + r.kdfCpu);
  const walls = cols.map((c) => median(c.baton.map((m) => m.seconds)));
  const cpu = cols.map((c) => median(c.baton.map((m) => m.cpu)));
  const steps = [...BACKUP_STEPS, ...RESTORE_STEPS].filter((step, i, all) => all.indexOf(step) === i);
  return [
    '## Engine: per-core limits',
    '',
    `Written by \`bench/engine/limits.ts\` (\`node dist/bench/engine/limits.js\`), ${new Date().toISOString()}, ` +
      `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; 1-minute load average ` +
      `${r.load[0].toFixed(1)} before and ${r.load[1].toFixed(1)} after. Each step a backup or restore of ` +
      `bench/engine's datasets cannot skip, done with the engine's own code on one thread, one step after another, ` +
      `in CPU seconds (user + system), medians of ${rounds} rounds; then baton on the same data in the same rounds ` +
      `(\`bin/baton.js repo\`, wall and CPU from \`/usr/bin/time\`). The floor on two cores is the work over 2: ` +
      `no thread ever waits, nothing is done that the format does not need. Backups read from the page cache; the ` +
      `restore reads its packs after the page cache was emptied (that step alone took ${f2(r.readWall)} s of wall ` +
      `time on one thread). Unique data stored: ${(r.unique.big / 2 ** 20).toFixed(0)} MiB of the ${DATA_NAME}, ` +
      `${(r.unique.tiny / 2 ** 20).toFixed(1)} MiB of the ${MANY_NAME}. What the figures say: docs/engine.md.`,
    '',
    row(
      'step (CPU s, one thread)',
      cols.map((c) => c.figure),
    ),
    row(
      '----',
      cols.map(() => '----'),
    ),
    ...steps.map((step) =>
      row(
        step,
        cols.map((c) => (c.steps.has(step) ? f2(c.steps.get(step) ?? 0) : '')),
      ),
    ),
    row(
      `${KDF_STEP}, two lanes at once`,
      cols.map(() => f2(r.kdfCpu)),
    ),
    row(
      '**the work (the sum)**',
      sums.map((x) => `**${f2(x)}**`),
    ),
    row(
      'floor on 2 cores (the work / 2), wall',
      sums.map((x) => `${f2(x / 2)} s`),
    ),
    row(
      'baton, wall: median (round by round)',
      cols.map((c, i) => `${f2(walls[i])} s (${c.baton.map((m) => f2(m.seconds)).join(', ')})`),
    ),
    row(
      'baton, CPU: median',
      cpu.map((x) => `${f2(x)} s`),
    ),
    row(
      "baton's CPU over the work",
      cpu.map((x, i) => `${(x / sums[i]).toFixed(2)}x`),
    ),
    row(
      "baton's wall over the floor",
      walls.map((x, i) => `${(x / (sums[i] / 2)).toFixed(2)}x`),
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  for (const d of [DATA, MANY]) {
    if (!existsSync(join(d, '.complete'))) {
      throw new Error(
        `${d} is missing: run bench/engine/run.js --work ${work} --scale ${opts.scale} --many ${opts.many} first, which makes it`,
      );
    }
  }
  if (!CAN_DROP) throw new Error('the restore pass needs an empty page cache: run as root');
  const results = await measure();
  console.log(JSON.stringify(results, (_, v: unknown): unknown => (v instanceof Map ? Object.fromEntries(v) : v)));
  const section = report(results);
  console.log(section);
  const out = resolve(opts.out);
  writeFileSync(out, spliceNamedSection(existsSync(out) ? readFileSync(out, 'utf8') : '', 'engine-limits', section));
  spawnSync(process.execPath, [join(repoRoot, 'node_modules/prettier/bin/prettier.cjs'), '--write', out]);
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/**
 * Engine benchmark: generates the dataset (dataset.ts) if missing, then for baton, restic and borg
 * measures first backup, unchanged re-run and restore (wall time and peak RSS via /usr/bin/time),
 * and a many-small-files backup; writes the figures to docs/benchmarks.md.
 *
 *   npm run build && node dist/bench/engine/run.js [--work DIR] [--scale 1] [--many 100000] [--tools baton,restic,borg,...] [--repeat 3] [--out FILE] [--baseline DIR]
 *
 * Peers: `restic` and `borg` are Debian's (apt-get install restic borgbackup); `restic-0.18.1` and
 * `borg-1.4.5` are the newest releases, installed by bench/engine/install-peers.sh under
 * ~/.cache/baton/peers. By default every peer that is installed takes part.
 *
 * Every backup starts with its sources in the page cache (read just before); every restore starts
 * with the page cache emptied when the bench runs as root (its repository comes from the disk, as
 * after a failure), so no tool gains from having written its repository through the page cache.
 * Tools run in turn, `repeat` rounds; each figure is the median of its rounds. Every restore is
 * compared with the dataset (diff -r) before its figure counts.
 *
 * `--baseline DIR`: another checkout of Baton, built (`npm ci` there), takes part as `baton-before`,
 * so what a change costs against the peers is measured in one run, on one machine: the figures of
 * runs on different days moved by 20 % with the host, more than any rule about them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { spliceNamedSection } from '../section';
import { run as runIn, timed as timedIn, type Measure } from './commands';
import { generate, generateMany } from './dataset';
import { CAN_DROP, dropCaches, warm } from './page-cache';
import { FORMAT_VERSION } from '../../src/engine/config';
import { ZSTD_LEVEL } from '../../src/engine/blob';
import { deriveKek, type KdfParams } from '../../src/engine/kdf';
import { randomBytes } from 'node:crypto';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const work = resolve(args.get('work') ?? '/tmp/baton-bench');
const scale = Number(args.get('scale') ?? 1);
const many = Number(args.get('many') ?? 100000);
const repoRoot = resolve(__dirname, '../../..');
const peersDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'baton', 'peers');
/** Each peer's command: Debian's on PATH, the newest releases from install-peers.sh. */
const PEERS: Record<string, { kind: 'restic' | 'borg'; bin: string }> = {
  restic: { kind: 'restic', bin: 'restic' },
  borg: { kind: 'borg', bin: 'borg' },
  'restic-0.18.1': { kind: 'restic', bin: join(peersDir, 'restic-0.18.1', 'restic') },
  'borg-1.4.5': { kind: 'borg', bin: join(peersDir, 'borg-1.4.5', 'bin', 'borg') },
};
/**
 * Baton as users run it (`baton`), and with zstd level 3 (`baton-zstd3`, the level borg runs here and
 * baton's default before level 2), so what the default level buys shows beside it: each is baton's
 * `init` options.
 */
const BATONS: Record<string, string[]> = { baton: [], 'baton-zstd3': ['--compression-level', '3'] };
/** `--baseline`: an earlier Baton's checkout, run as `baton-before` with its own defaults */
const baselineDir = args.has('baseline') ? resolve(args.get('baseline') as string) : null;
const BASELINE = 'baton-before';
if (baselineDir && !existsSync(join(baselineDir, 'dist', 'src', 'cli'))) {
  throw new Error(`--baseline ${baselineDir}: no built Baton there (no dist/src/cli); run \`npm ci\` in it first`);
}
/** the `baton` command of `tool` (this checkout's, or the baseline's) */
const batonOf = (tool: string): string => join(tool === BASELINE ? (baselineDir as string) : repoRoot, 'bin/baton.js');
const installed = (t: string): boolean =>
  t in BATONS ||
  t === BASELINE ||
  spawnSync(PEERS[t].bin, PEERS[t].kind === 'restic' ? ['version'] : ['--version'], { encoding: 'utf8' }).status === 0;
const tools = (
  args.get('tools') ??
  [...Object.keys(BATONS), ...(baselineDir ? [BASELINE] : []), ...Object.keys(PEERS)].filter(installed).join(',')
).split(',');
if (tools.includes(BASELINE) && !baselineDir) throw new Error(`${BASELINE} takes part only with --baseline DIR`);
/** the tools that are Baton (this one, at another level, or the baseline): the rest are peers */
const isBaton = (t: string): boolean => t in BATONS || t === BASELINE;
const repeat = Number(args.get('repeat') ?? 3);
/** where the figures go: the marked engine section of this file (default docs/benchmarks.md) */
const outFile = resolve(args.get('out') ?? join(repoRoot, 'docs/benchmarks.md'));
const env = {
  ...process.env,
  BATON_PASSWORD: 'bench',
  RESTIC_PASSWORD: 'bench',
  BORG_PASSPHRASE: 'bench',
  BATON_CACHE_DIR: join(work, 'baton-cache'),
  BORG_BASE_DIR: join(work, 'borg-base'),
  RESTIC_CACHE_DIR: join(work, 'restic-cache'),
};

const timed = (cmd: string[], cwd?: string): Measure => timedIn(cmd, env, cwd);
const run = (cmd: string[], cwd?: string): string => runIn(cmd, env, cwd);

function version(cmd: string[]): string {
  try {
    return run(cmd).trim().split('\n')[0];
  } catch {
    return 'not installed';
  }
}

interface ToolRun {
  first: Measure;
  rerun: Measure;
  restore: Measure;
  many?: Measure;
  repoMiB: number;
}

function du(path: string): number {
  return Math.round(Number(run(['du', '-sk', path]).split('\t')[0]) / 1024);
}

/** How one tool is run on a repository at `repo`. */
interface ToolCommands {
  init(repo: string): string[];
  /** `archive`: "a" for the first backup, "b" for the re-run (borg names its archives) */
  backup(repo: string, dir: string, archive: string): string[];
  /** the many-small-files backup (baton without its file cache) */
  backupMany(repo: string, dir: string): string[];
  restore(repo: string, out: string): { cmd: string[]; cwd?: string };
  /** where the dataset's contents are after a restore into `out` */
  restored(out: string, data: string): string;
}

function commandsOf(tool: string): ToolCommands {
  if (isBaton(tool)) {
    const baton = (...args: string[]): string[] => [process.execPath, batonOf(tool), 'repo', ...args];
    return {
      init: (repo) => baton('init', '--drive', repo, ...(BATONS[tool] ?? [])),
      backup: (repo, dir) => baton('backup', '--drive', repo, '--app', 'bench', dir),
      backupMany: (repo, dir) => baton('backup', '--drive', repo, '--no-cache', dir),
      restore: (repo, out) => ({
        cmd: baton('restore', '--drive', repo, readdirSync(join(repo, 'snapshots'))[0], '--target', out),
      }),
      restored: (out) => out,
    };
  }
  const bin = PEERS[tool].bin;
  if (PEERS[tool].kind === 'restic') {
    const backup = (repo: string, dir: string): string[] => [bin, '-q', '-r', repo, 'backup', dir];
    return {
      init: (repo) => [bin, 'init', '-q', '-r', repo],
      backup,
      backupMany: backup,
      restore: (repo, out) => ({ cmd: [bin, '-q', '-r', repo, 'restore', 'latest', '--target', out] }),
      restored: (out, data) => join(out, data),
    };
  }
  const create = (repo: string, dir: string, archive = 'a'): string[] => [
    bin,
    'create',
    '--compression',
    'zstd,3',
    `${repo}::${archive}`,
    dir,
  ];
  return {
    init: (repo) => [bin, 'init', '-e', 'repokey', repo],
    backup: create,
    backupMany: (repo, dir) => create(repo, dir),
    restore: (repo, out) => ({ cmd: [bin, 'extract', `${repo}::a`], cwd: out }),
    restored: (out, data) => join(out, data.slice(1)),
  };
}

/** The scrypt parameters of each baton's drive made in this run (`init` calibrates them per drive). */
const kdfOfTool = new Map<string, string>();
/** What deriving a key with those parameters took here, in seconds (kdfLine). */
const kdfSeconds = new Map<string, number>();
const keySecondsOf = (tool: string): number => kdfSeconds.get(kdfOfTool.get(tool) ?? 'none') ?? 0;

function kdfOf(repo: string): string {
  const config = JSON.parse(readFileSync(join(repo, 'config'), 'utf8')) as { encryption?: { kdf?: KdfParams } };
  const kdf = config.encryption?.kdf;
  return kdf ? JSON.stringify({ ...kdf, salt: undefined }) : 'none';
}

/**
 * What deriving the key costs each baton command, by the parameters `init` calibrated (about 0.5 s
 * on this machine, as restic calibrates its own): median of 3 derivations, in this process.
 */
async function kdfLine(): Promise<string> {
  const parts: string[] = [];
  for (const seen of new Set(kdfOfTool.values())) {
    if (seen === 'none') continue;
    const kdf = { ...(JSON.parse(seen) as KdfParams), salt: randomBytes(32).toString('base64') };
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      await deriveKek('bench', kdf);
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    times.sort((a, b) => a - b);
    kdfSeconds.set(seen, times[1]);
    parts.push(`scrypt N=2^${Math.log2(kdf.N)}, r=${kdf.r}, p=${kdf.p}: ${times[1].toFixed(2)} s`);
  }
  return (
    `- baton key derivation, part of every baton figure (init calibrates it to about 0.5 s, as restic does its own): ` +
    (parts.join('; ') || 'none')
  );
}

function bench(tool: string, data: string, manyDir: string): ToolRun {
  const t = commandsOf(tool);
  const repo = join(work, `${tool}-repo`);
  const out = join(work, `${tool}-restore`);
  rmSync(repo, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  rmSync(env.BATON_CACHE_DIR, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run(t.init(repo));
  if (isBaton(tool)) kdfOfTool.set(tool, kdfOf(repo));
  warm(data);
  const first = timed(t.backup(repo, data, 'a'));
  const rerun = timed(t.backup(repo, data, 'b'));
  dropCaches();
  const { cmd, cwd } = t.restore(repo, out);
  const r: ToolRun = { first, rerun, restore: timed(cmd, cwd), repoMiB: du(repo) };
  if (manyDir) {
    const m = join(work, `${tool}-many`);
    rmSync(m, { recursive: true, force: true });
    run(t.init(m));
    warm(manyDir);
    r.many = timed(t.backupMany(m, manyDir));
    rmSync(m, { recursive: true, force: true });
  }
  // a fast restore only counts if it is right: the restored tree must equal the dataset
  const diff = spawnSync('diff', ['-rq', '--no-dereference', data, t.restored(out, data)], { encoding: 'utf8' });
  if (diff.status !== 0)
    throw new Error(`${tool} restored a tree that differs from the dataset:\n${diff.stdout.slice(0, 2000)}`);
  rmSync(out, { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
  return r;
}

interface Dataset {
  data: string;
  info: { files: number; bytes: number };
  /** the many-small-files tree, '' when --many 0 */
  manyDir: string;
}

/** The datasets under `work`, generated when missing (a `.complete` marker says one is whole). */
function prepareDatasets(): Dataset {
  mkdirSync(work, { recursive: true });
  const data = join(work, `data-${scale}`);
  const info = existsSync(join(data, '.complete'))
    ? {
        files: run(['find', data, '-type', 'f', '!', '-name', '.complete']).trim().split('\n').length,
        bytes: Number(run(['du', '-sb', data]).split('\t')[0]),
      }
    : generate(data, scale);
  let manyDir = '';
  if (many > 0) {
    manyDir = join(work, `many-${many}`);
    if (!existsSync(join(manyDir, '.complete'))) rmSync(manyDir, { recursive: true, force: true });
    generateMany(manyDir, many);
  }
  return { data, info, manyDir };
}

/** Every tool's runs, `repeat` rounds of all tools in turn. */
function runRounds(d: Dataset): Map<string, ToolRun[]> {
  const rounds = new Map<string, ToolRun[]>(tools.map((t) => [t, []]));
  for (let i = 0; i < repeat; i++) {
    // each round starts with another tool, so none always follows the same one
    for (const t of [...tools.slice(i % tools.length), ...tools.slice(0, i % tools.length)]) {
      process.stderr.write(`bench: round ${i + 1}/${repeat}: ${t}...\n`);
      rounds.get(t)?.push(bench(t, d.data, d.manyDir));
    }
  }
  return rounds;
}

/** Each tool's figures: the median of its rounds. */
function medians(rounds: Map<string, ToolRun[]>): Map<string, ToolRun> {
  const median = (ms: Measure[]): Measure => {
    const sorted = [...ms].sort((a, b) => a.seconds - b.seconds);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const results = new Map<string, ToolRun>();
  for (const [t, rs] of rounds) {
    results.set(t, {
      first: median(rs.map((r) => r.first)),
      rerun: median(rs.map((r) => r.rerun)),
      restore: median(rs.map((r) => r.restore)),
      many: rs[0].many ? median(rs.map((r) => r.many as Measure)) : undefined,
      repoMiB: rs[0].repoMiB,
    });
  }
  return results;
}

function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, init] of Object.entries(BATONS)) {
    out[name] =
      `baton engine (repository format ${FORMAT_VERSION}), run as \`bin/baton.js repo\`, node ${process.version}` +
      (init.length > 0 ? `; drive made with \`init ${init.join(' ')}\`` : '');
  }
  for (const [name, peer] of Object.entries(PEERS)) {
    out[name] = version(peer.kind === 'restic' ? [peer.bin, 'version'] : [peer.bin, '--version']);
  }
  if (baselineDir) {
    const commit = version(['git', '-C', baselineDir, 'log', '-1', '--format=%h of %cs']);
    out[BASELINE] =
      `the baton engine at commit ${commit} (\`--baseline\`: a checkout of it, built), with its own defaults`;
  }
  return out;
}

/** The section's header (how it was measured, on what) and the table of every tool's figures. */
function figureLines(
  d: Dataset,
  results: Map<string, ToolRun>,
  load: { before: number; after: number },
  kdf: string,
): string[] {
  const v = versions();
  const fmt = (m?: Measure): string =>
    m ? `${m.seconds.toFixed(2)} s (cpu ${m.cpu.toFixed(1)} s) / ${m.rssMiB} MiB` : '-';
  return [
    '## Engine',
    '',
    'Written by `bench/engine/run.ts` (`npm run build && node dist/bench/engine/run.js`). Figures are what that',
    'run MEASURED on the machine below; nothing here is estimated. Wall time (user+system CPU time) / peak RSS',
    `(from \`/usr/bin/time\`, after a \`sync\`), median of ${repeat} rounds (tools take turns within a round, each round starting with the next tool).`,
    'Every backup starts with its sources read into the page cache; every restore starts ' +
      (CAN_DROP
        ? 'with the page cache emptied (the repository is read from the disk, as after a failure).'
        : 'with whatever the page cache holds (not root: could not empty it).'),
    '',
    `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), date ${new Date().toISOString()}; ` +
      `1-minute load average ${load.before.toFixed(1)} before and ${load.after.toFixed(1)} after (other work shares the machine)`,
    `- dataset: \`bench/engine/dataset.ts\` scale ${scale}: ${d.info.files} files, ${(d.info.bytes / 2 ** 30).toFixed(2)} GiB ` +
      '(4 incompressible 128 MiB files, 64 text files of 4 MiB, 2 shifted half-copies, 10,000 small files in 100 dirs)',
    `- many small files: ${many} files of 7-350 bytes in ${Math.ceil(many / 1000)} directories, first backup (baton without file cache)`,
    ...tools.map((t) => `- ${t}: ${v[t]}`),
    `- settings: baton defaults (encrypted, zstd ${ZSTD_LEVEL}, 2 worker threads); restic defaults (repository v2, auto compression); borg repokey, zstd,3`,
    kdf,
    '',
    '| tool | first backup | unchanged re-run | restore | many small files | repo size |',
    '|---|---|---|---|---|---|',
    ...tools.map((t) => {
      const r = results.get(t) as ToolRun;
      return `| ${t} | ${fmt(r.first)} | ${fmt(r.rerun)} | ${fmt(r.restore)} | ${fmt(r.many)} | ${r.repoMiB} MiB |`;
    }),
    '',
  ];
}

type Phase = 'first' | 'rerun' | 'restore' | 'many';

/** A goal of the speed issue: baton's time against a peer's, as the peer's time over baton's. */
interface Goal {
  phase: Phase;
  figure: string;
  ratio: number;
  /** the peer: FASTEST (at this phase, in this run), or one named */
  against: string;
}

const FASTEST = 'the fastest peer';

const GOALS: Goal[] = [
  { phase: 'first', figure: 'first backup', ratio: 3, against: FASTEST },
  { phase: 'restore', figure: 'restore (cold cache)', ratio: 2.5, against: FASTEST },
  { phase: 'rerun', figure: 'unchanged re-run', ratio: 1.5, against: FASTEST },
  { phase: 'many', figure: `${many} tiny files, first backup`, ratio: 1.5, against: 'restic-0.18.1' },
];

/** Baton against the speed issue's goals, round by round; empty without baton or without a peer. */
function targetLines(rounds: Map<string, ToolRun[]>, results: Map<string, ToolRun>): string[] {
  const b = results.get('baton');
  if (!b) return [];
  const peers = tools.filter((t) => !isBaton(t));
  if (peers.length === 0) return [];
  const seconds = (t: string, k: Phase): number | undefined => results.get(t)?.[k]?.seconds;
  const peerFor = (g: Goal): string | undefined =>
    g.against === FASTEST
      ? peers
          .filter((t) => seconds(t, g.phase) !== undefined)
          .sort((x, y) => (seconds(x, g.phase) as number) - (seconds(y, g.phase) as number))[0]
      : peers.includes(g.against)
        ? g.against
        : undefined;
  const rows = GOALS.map((g) => {
    const peer = peerFor(g);
    const mine = b[g.phase]?.seconds;
    const theirs = peer ? seconds(peer, g.phase) : undefined;
    if (!peer || mine === undefined || theirs === undefined) {
      return `| ${g.figure} | >= ${g.ratio}x ${g.against} | not measured | | | |`;
    }
    const ratio = theirs / mine;
    const each = roundRatios(rounds, peer, g.phase, 'baton');
    const met = each.filter((r) => r >= g.ratio).length;
    return (
      `| ${g.figure} | >= ${g.ratio}x ${g.against} | ${peer} ${theirs.toFixed(2)} s, baton ${mine.toFixed(2)} s: ` +
      `${ratio.toFixed(2)}x | ${each.map((r) => `${r.toFixed(2)}x`).join(', ')} | ` +
      `${ratio >= g.ratio ? 'yes' : 'no'} (${met} of ${each.length} rounds) |`
    );
  });
  return [
    "Against the goals of the speed issue (each ratio is the peer's time over baton's, medians and round by round):",
    '',
    '| figure | goal | medians | round by round | met |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...zstd3Line(results, peerFor(GOALS[0])),
    '- a million files under 160 MiB peak RSS: see "Many files: peak memory" below (`bench/engine/many.ts`)',
    ...baselineLines(rounds, results, peerFor(GOALS[0]), fasterRestic(results, peers)),
    '',
  ];
}

/** Baton at zstd level 3 against the first backup's peer, and what the level buys in repository size. */
function zstd3Line(results: Map<string, ToolRun>, peer: string | undefined): string[] {
  const [b, b3] = [results.get('baton'), results.get('baton-zstd3')];
  if (!b || !b3 || !peer) return [];
  const ratio = (results.get(peer) as ToolRun).first.seconds / b3.first.seconds;
  return [
    `- at zstd level 3 (baton-zstd3): first backup ${ratio.toFixed(2)}x ${peer}, repository ${b3.repoMiB} MiB against ${b.repoMiB} MiB`,
  ];
}

/** The restic of the run (Debian's or the newest) that restored faster. */
function fasterRestic(results: Map<string, ToolRun>, peers: string[]): string | undefined {
  return peers
    .filter((t) => PEERS[t]?.kind === 'restic')
    .sort((x, y) => (results.get(x) as ToolRun).restore.seconds - (results.get(y) as ToolRun).restore.seconds)[0];
}

/**
 * Baton's ratios against the peers beside the baseline's, both from this run: how much the change
 * since the baseline cost (the data-safety issue allows a drop of 5 % at most). A ratio's drop is
 * 1 - before's time / baton's time, the peer's time cancelling out.
 */
function baselineLines(
  rounds: Map<string, ToolRun[]>,
  results: Map<string, ToolRun>,
  fastestFirst: string | undefined,
  restic: string | undefined,
): string[] {
  const b = results.get('baton');
  const before = results.get(BASELINE);
  if (!b || !before || !fastestFirst) return [];
  // keyless: each side's key derivation taken out, as the node service pays it once per process
  const drop = (k: Phase, keyless = false): string => {
    const now = b[k]?.seconds;
    const then = before[k]?.seconds;
    if (now === undefined || then === undefined) return 'not measured';
    const [n, t] = keyless ? [now - keySecondsOf('baton'), then - keySecondsOf(BASELINE)] : [now, then];
    const d = (1 - t / n) * 100;
    return `${t.toFixed(2)} s before, ${n.toFixed(2)} s now: ratios ${d >= 0 ? 'drop' : 'rise'} ${Math.abs(d).toFixed(1)} %`;
  };
  const first = (p: string): string => `${p} ${(results.get(p) as ToolRun).first.seconds.toFixed(2)} s`;
  const keyless = [
    `  the same without each one's key derivation (${keySecondsOf('baton').toFixed(2)} s now, ${keySecondsOf(BASELINE).toFixed(2)} s before: ` +
      'a command here derives its key at every run, the node service once per process, src/engine/key-cache.ts):',
    `  first backup ${drop('first', true)}; unchanged re-run ${drop('rerun', true)}; restore ${drop('restore', true)}` +
      (b.many && before.many ? `; many small files ${drop('many', true)}` : ''),
  ];
  return [
    `- against the engine before (${BASELINE}, same run; the data-safety issue allows ratios to drop 5 % at most):`,
    `  first backup ${drop('first')} (against ${first(fastestFirst)}: ${byRoundOf(rounds, fastestFirst, 'first', BASELINE)} before, ${byRoundOf(rounds, fastestFirst, 'first', 'baton')} now, round by round);`,
    `  unchanged re-run ${drop('rerun')}; restore ${drop('restore')}` +
      (restic ? ` (against ${restic})` : '') +
      (b.many && before.many ? `; many small files ${drop('many')}` : ''),
    ...keyless,
  ];
}

/**
 * The peer's time over `baton`'s round by round (rounds where either was not measured left out):
 * tools of one round ran minutes apart, so these pairs move less with the machine's speed (which
 * drifts by 5-10% within an hour) than the medians.
 */
function roundRatios(rounds: Map<string, ToolRun[]>, peer: string, k: Phase, baton: string): number[] {
  const mine = rounds.get(baton) ?? [];
  return (rounds.get(peer) ?? []).flatMap((r, i) => {
    const [theirs, ours] = [r[k]?.seconds, mine[i]?.[k]?.seconds];
    return theirs !== undefined && ours !== undefined ? [theirs / ours] : [];
  });
}

function byRoundOf(rounds: Map<string, ToolRun[]>, peer: string, k: Phase, baton: string): string {
  return roundRatios(rounds, peer, k, baton)
    .map((r) => `${r.toFixed(2)}x`)
    .join(', ');
}

async function main(): Promise<void> {
  const d = prepareDatasets();
  const loadBefore = loadavg()[0];
  const rounds = runRounds(d);
  const loadAfter = loadavg()[0];
  const results = medians(rounds);
  const lines = [
    ...figureLines(d, results, { before: loadBefore, after: loadAfter }, await kdfLine()),
    ...targetLines(rounds, results),
  ];
  const before = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  writeFileSync(outFile, spliceNamedSection(before, 'engine', lines.join('\n')));
  // keep the generated file in the project's format
  spawnSync(process.execPath, [join(repoRoot, 'node_modules/prettier/bin/prettier.cjs'), '--write', outFile]);
  process.stdout.write(lines.join('\n') + '\n');
}

void main();

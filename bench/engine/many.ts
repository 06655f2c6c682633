/**
 * Many-small-files memory benchmark for baton alone: generates `count` tiny files (dataset.ts
 * generateMany) if missing, then measures with /usr/bin/time a first backup without the file cache,
 * a first backup with it and an unchanged re-run with it (wall, CPU, peak RSS of the process and its
 * worker threads together), after reading the files once so they are in the page cache.
 *
 * With `--out FILE` (docs/benchmarks.md) the figures go to its `many-files` section too, each
 * with the peak-memory goal of the speed issue beside it (under 160 MiB at a million files).
 *
 *   npm run build && node dist/bench/engine/many.js [--work /tmp/baton-bench] [--count 1000000] [--runs nocache,cache,rerun] [--out docs/benchmarks.md]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { run, timed, type Measure } from './commands';
import { generateMany } from './dataset';
import { warm } from './page-cache';
import { spliceNamedSection } from '../section';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const work = resolve(args.get('work') ?? '/tmp/baton-bench');
const count = Number(args.get('count') ?? 1000000);
const runs = (args.get('runs') ?? 'nocache,cache,rerun').split(',');
const outFile = args.get('out') ? resolve(args.get('out') as string) : null;
/** peak RSS goal of the speed issue for a backup of a million files */
const GOAL_MIB = 160;
const batonMain = resolve(__dirname, '../../../bin/baton.js');
const cacheDir = join(work, `baton-many-cache-${count}`);
const env = { ...process.env, BATON_PASSWORD: 'bench', BATON_CACHE_DIR: cacheDir };

const describe = (r: Measure): string =>
  `${r.seconds.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU, peak RSS ${r.rssMiB} MiB`;

/** A backup under /usr/bin/time: its wall time, CPU time and peak RSS. */
function backup(drive: string, dir: string, extra: string[]): Measure {
  return timed([process.execPath, batonMain, 'repo', 'backup', '--drive', drive, '--app', 'm', ...extra, dir], env);
}

let dir = join(work, `many-${count}`);
if (!existsSync(join(dir, '.complete'))) {
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`generating ${count} files in ${dir}...\n`);
  generateMany(dir, count);
}
// the set may be a symlink to one made elsewhere; back up the directory, not the link
dir = realpathSync(dir);
// every run starts with the files in the page cache, as in run.ts: a first run that loaded a million
// inodes from the disk measured 117 s (118 s of CPU, mostly the kernel's), the next one 37 s
warm(dir);
mkdirSync(work, { recursive: true });
const drive = join(work, 'baton-many-drive');
const fresh = (): void => {
  rmSync(drive, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  run([process.execPath, batonMain, 'repo', 'init', '--drive', drive], env);
};
const results: { name: string; run: Measure }[] = [];
const measure = (name: string, run: Measure): void => {
  results.push({ name, run });
  process.stdout.write(`${count} files, ${name}: ${describe(run)}\n`);
};
const loadBefore = loadavg()[0];
for (const r of runs) {
  if (r === 'nocache') {
    fresh();
    measure('first backup, --no-cache', backup(drive, dir, ['--no-cache']));
  } else if (r === 'cache') {
    fresh();
    measure('first backup, file cache', backup(drive, dir, []));
  } else if (r === 'rerun') {
    measure('unchanged re-run, file cache', backup(drive, dir, []));
  }
}
rmSync(drive, { recursive: true, force: true });
rmSync(cacheDir, { recursive: true, force: true });

if (outFile) {
  const met = (r: Measure): string => (r.rssMiB < GOAL_MIB ? 'met' : 'not met');
  const lines = [
    '## Many files: peak memory',
    '',
    `\`bench/engine/many.ts --count ${count}\`: ${count.toLocaleString('en')} tiny files, baton alone, each run ` +
      `after the files were read into the page cache; wall and CPU time and peak RSS (the process and its ` +
      `worker threads) from \`/usr/bin/time\`. ${cpus().length} cores, ${new Date().toISOString()}, 1-minute load ` +
      `${loadBefore.toFixed(1)} before and ${loadavg()[0].toFixed(1)} after.`,
    '',
    `| run | wall | CPU | peak RSS | goal: under ${GOAL_MIB} MiB |`,
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      ({ name, run }) =>
        `| ${name} | ${run.seconds.toFixed(1)} s | ${run.cpu.toFixed(1)} s | ${run.rssMiB} MiB | ${met(run)} |`,
    ),
  ];
  const before = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  writeFileSync(outFile, spliceNamedSection(before, 'many-files', lines.join('\n')));
  // keep the generated file in the project's format, as run.ts does
  const prettier = resolve(__dirname, '../../../node_modules/prettier/bin/prettier.cjs');
  spawnSync(process.execPath, [prettier, '--write', outFile]);
}

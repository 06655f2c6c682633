/**
 * Many-small-files memory benchmark for baton alone: generates `count` tiny files (dataset.ts
 * generateMany) if missing, then measures with /usr/bin/time a first backup without the file cache,
 * a first backup with it and an unchanged re-run with it (wall, CPU, peak RSS of the process and its
 * worker threads together), after reading the files once so they are in the page cache.
 *
 *   npm run build && node dist/bench/engine/many.js [--work /tmp/baton-bench] [--count 1000000] [--runs nocache,cache,rerun]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateMany } from './dataset';
import { warm } from './page-cache';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const work = resolve(args.get('work') ?? '/tmp/baton-bench');
const count = Number(args.get('count') ?? 1000000);
const runs = (args.get('runs') ?? 'nocache,cache,rerun').split(',');
const batonMain = resolve(__dirname, '../../../bin/baton.js');
const cacheDir = join(work, `baton-many-cache-${count}`);
const env = { ...process.env, BATON_PASSWORD: 'bench', BATON_CACHE_DIR: cacheDir };

function sh(cmd: string[]): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stderr;
}

/** Runs a backup under /usr/bin/time; returns its last line: "wall s user s sys s peak-RSS KB". */
function backup(drive: string, dir: string, extra: string[]): string {
  const err = sh([
    '/usr/bin/time',
    '-f',
    '%e s %U user %S sys %M KB',
    process.execPath,
    batonMain,
    'repo',
    'backup',
    '--drive',
    drive,
    '--app',
    'm',
    ...extra,
    dir,
  ]);
  const [wall, , user, , sys, , kb] = (err.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return `${wall.toFixed(1)} s wall, ${(user + sys).toFixed(1)} s CPU, peak RSS ${Math.round(kb / 1024)} MiB`;
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
  sh([process.execPath, batonMain, 'repo', 'init', '--drive', drive]);
};
for (const r of runs) {
  if (r === 'nocache') {
    fresh();
    process.stdout.write(`${count} files, first backup, --no-cache: ${backup(drive, dir, ['--no-cache'])}\n`);
  } else if (r === 'cache') {
    fresh();
    process.stdout.write(`${count} files, first backup, file cache: ${backup(drive, dir, [])}\n`);
  } else if (r === 'rerun') {
    process.stdout.write(`${count} files, unchanged re-run, file cache: ${backup(drive, dir, [])}\n`);
  }
}
rmSync(drive, { recursive: true, force: true });
rmSync(cacheDir, { recursive: true, force: true });

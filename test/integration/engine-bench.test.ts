/**
 * The engine benchmark's small variant (the full-size run is bench/engine, by hand): the same
 * script on a tiny dataset, baton at its default zstd level and at level 3, against Debian's restic
 * and borg, one round. It must finish, check
 * every restore against the dataset, and write a table with a row per tool and one per goal. Then
 * bench/engine/limits.ts on the same datasets, one round: its table of steps, sums and baton's runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secondNodeSkip } from '../helpers/first-node';

const RUN = join(__dirname, '../../bench/engine/run.js');
const LIMITS = join(__dirname, '../../bench/engine/limits.js');

void test(
  'bench/engine runs end to end on a small dataset against restic and borg',
  { timeout: 600_000, skip: secondNodeSkip() },
  () => {
    const work = mkdtempSync(join(tmpdir(), 'baton-bench-small-'));
    try {
      const out = join(work, 'benchmarks.md');
      const r = spawnSync(
        process.execPath,
        [
          RUN,
          '--work',
          work,
          '--scale',
          '0.02',
          '--many',
          '2000',
          '--repeat',
          '1',
          '--tools',
          'baton,baton-zstd3,restic,borg',
          '--out',
          out,
        ],
        { encoding: 'utf8', timeout: 540_000 },
      );
      assert.equal(r.status, 0, `bench failed:\n${r.stderr.slice(-3000)}`);
      const md = readFileSync(out, 'utf8');
      assert.match(md, /<!-- engine:begin -->/);
      for (const tool of ['baton', 'baton-zstd3', 'restic', 'borg']) {
        // wall (cpu) / rss for first backup, re-run, restore, many files; then the repo size
        assert.match(
          md,
          new RegExp(`\\| ${tool} +\\|( [0-9.]+ s \\(cpu [0-9.]+ s\\) / [0-9]+ MiB +\\|){4} [0-9]+ MiB +\\|`),
        );
      }
      // the speed issue's goals, a row each: the peer and both medians, the ratio, each round's, met or not
      const row = (figure: string, goal: string): RegExp =>
        new RegExp(
          `^\\| ${figure} +\\| >= ${goal} +\\| [a-z0-9.-]+ [0-9.]+ s, baton [0-9.]+ s: [0-9.]+x +\\| [0-9.]+x +\\| (yes|no) \\([01] of 1 rounds\\) +\\|$`,
          'm',
        );
      assert.match(md, row('first backup', '3x the fastest peer'));
      assert.match(md, row('restore \\(cold cache\\)', '2\\.5x the fastest peer'));
      assert.match(md, row('unchanged re-run', '1\\.5x the fastest peer'));
      // its peer, restic 0.18.1, is not in this run
      assert.match(md, /^\| 2000 tiny files, first backup +\| >= 1\.5x restic-0\.18\.1 +\| not measured /m);
      assert.match(
        md,
        /- at zstd level 3 \(baton-zstd3\): first backup [0-9.]+x [a-z0-9.-]+, repository [0-9]+ MiB against [0-9]+ MiB$/m,
      );
      assert.match(md, /- baton-zstd3: .*`init --compression-level 3`/);

      // bench/engine/limits.ts on the same datasets: each step's CPU time a column per figure, the
      // sum, the floor on two cores, and baton's own runs against them
      const limitsOut = join(work, 'limits.md');
      const l = spawnSync(
        process.execPath,
        [LIMITS, '--work', work, '--scale', '0.02', '--many', '2000', '--rounds', '1', '--out', limitsOut],
        { encoding: 'utf8', timeout: 300_000 },
      );
      assert.equal(l.status, 0, `limits failed:\n${l.stderr.slice(-3000)}`);
      const limits = readFileSync(limitsOut, 'utf8');
      assert.match(limits, /<!-- engine-limits:begin -->/);
      const cells = (label: string, cell: string) => new RegExp(`^\\| ${label} +\\|( ${cell} +\\|){3}$`, 'm');
      assert.match(
        limits,
        /\| first backup, dataset scale 0\.02 +\| restore \(cold cache\) +\| 2,000 tiny files +\|$/m,
      );
      assert.match(limits, cells('\\*\\*the work \\(the sum\\)\\*\\*', '\\*\\*[0-9.]+\\*\\*'));
      assert.match(limits, cells('floor on 2 cores \\(the work / 2\\), wall', '[0-9.]+ s'));
      assert.match(limits, cells('baton, wall: median \\(round by round\\)', '[0-9.]+ s \\([0-9.]+\\)'));
      assert.match(limits, cells("baton's CPU over the work", '[0-9.]+x'));
      assert.match(limits, /^\| compress \(zstd 2 where it shrinks\) +\| [0-9.]+ +\| +\| [0-9.]+ +\|$/m);
      assert.match(limits, /^\| decompress \(zstd\) +\| +\| [0-9.]+ +\| +\|$/m);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

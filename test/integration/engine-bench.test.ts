/**
 * The engine benchmark's small variant (the full-size run is bench/engine, by hand): the same
 * script on a tiny dataset, baton at its default zstd level and at level 3, against Debian's restic
 * and borg, one round. It must finish, check
 * every restore against the dataset, and write a table with a row per tool and the target lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secondNodeSkip } from '../helpers/first-node';

const RUN = join(__dirname, '../../bench/engine/run.js');

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
      assert.match(
        md,
        /- first backup: [0-9.]+x the fastest peer \([a-z0-9.-]+\); target 2x \(at zstd level 3: [0-9.]+x, repository [0-9]+ MiB against [0-9]+ MiB\); round by round: [0-9.]+x$/m,
      );
      assert.match(md, /- baton-zstd3: .*`init --compression-level 3`/);
      assert.match(md, /- restore: [0-9.]+x restic; target 1\.5x; round by round \(restic\): [0-9.]+x$/m);
      assert.match(md, /- 2000 small files: peak RSS [0-9]+ MiB/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

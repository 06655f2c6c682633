/**
 * The retention activity on a full tape drive and a real SQLite catalog: forgetting all but the
 * newest snapshot recycles the volumes only the forgotten ones used, the outcome and the
 * baton_drive_free_volumes gauge say how many are free, and the next backup fits again.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCatalog } from '../../../src/catalog/open';
import { backup } from '../../../src/engine';
import { DriveFullError } from '../../../src/engine/errors';
import { registry } from '../../../src/metrics/node-metrics';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { applyRetentionOnN1 } from '../../helpers/retention';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

void test(
  'retention on a full tape drive recycles the volumes of the forgotten snapshots',
  { timeout: 120_000 },
  async () => {
    const tmp = tempDir('baton-retention-tape-');
    const db = await openCatalog(`sqlite:${join(tmp.path, 'catalog.db')}`);
    try {
      const path = join(tmp.path, 'tape');
      const drive = await createDrive(path, { kind: 'tape', volumeSize: 10 * MiB, volumes: 3 });
      const src = join(tmp.path, 'src');
      mkdirSync(src);
      const run = (seed: string) => {
        writeFileSync(join(src, 'data'), prng(seed, 6 * MiB));
        return backup({ drive, app: 'db', sources: src, cachePath: null, password: PASSWORD });
      };
      for (const seed of ['a', 'b', 'c']) await run(seed);
      await assert.rejects(run('d'), DriveFullError);
      for (const v of readdirSync(join(path, 'volumes'))) utimesSync(join(path, 'volumes', v), 1e6, 1e6);
      const out = await applyRetentionOnN1(
        db,
        { name: 't1', node: 'n1', kind: 'tape', path },
        'baton-retention-c-t1-x',
      );
      assert.equal(out.forgotten.length, 2);
      assert.equal(out.volumesRecycled, 2);
      assert.equal(out.volumesFree, 2);
      const gauge = (await registry.getSingleMetricAsString('baton_drive_free_volumes')).trim().split('\n').at(-1);
      assert.equal(gauge, 'baton_drive_free_volumes{cluster="c",drive="t1"} 2');
      const r = await run('d');
      assert.equal(r.incomplete, false);
    } finally {
      await db.destroy();
      tmp.cleanup();
    }
  },
);

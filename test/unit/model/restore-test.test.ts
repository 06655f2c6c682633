import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseSample,
  restoreTestVerdict,
  sampleCount,
  sampleIndices,
  scratchProblems,
  type RestoreTestOutcome,
} from '../../../src/model/restore-test';

test('a sample takes the files asked for, or the fraction rounded up, at least one and never more than all', () => {
  const cases: [Parameters<typeof sampleCount>[0], number, number][] = [
    [{ files: 100 }, 1000, 100],
    [{ files: 100 }, 30, 30],
    [{ files: 5 }, 0, 0],
    [{ fraction: 0.1 }, 1000, 100],
    [{ fraction: 0.1 }, 15, 2],
    [{ fraction: 0.001 }, 10, 1],
    [{ fraction: 1 }, 7, 7],
  ];
  for (const [spec, total, want] of cases) assert.equal(sampleCount(spec, total), want, JSON.stringify([spec, total]));
});

test('sample indices: distinct, ascending, in range; the same seed gives the same choice, another seed another', () => {
  const a = sampleIndices(10_000, 50, 42);
  assert.equal(a.length, 50);
  assert.equal(new Set(a).size, 50);
  assert.deepEqual(
    a,
    [...a].sort((x, y) => x - y),
  );
  assert.ok(a.every((i) => Number.isInteger(i) && i >= 0 && i < 10_000));
  assert.deepEqual(sampleIndices(10_000, 50, 42), a);
  assert.notDeepEqual(sampleIndices(10_000, 50, 43), a);
  assert.deepEqual(sampleIndices(5, 5, 7), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(5, 9, 7), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(0, 3, 7), []);
});

test('sample indices spread over the whole population (every tenth of it is hit over many seeds)', () => {
  const hits = new Array<number>(10).fill(0);
  for (let seed = 0; seed < 200; seed++) for (const i of sampleIndices(1000, 10, seed)) hits[Math.floor(i / 100)]++;
  // 2000 draws, 200 expected per tenth
  assert.ok(
    hits.every((h) => h > 120 && h < 280),
    hits.join(','),
  );
});

test('a sample is a number of files, a fraction or a percentage; anything else is refused with the fix', () => {
  assert.deepEqual(parseSample(100), { sample: { files: 100 } });
  assert.deepEqual(parseSample('25'), { sample: { files: 25 } });
  assert.deepEqual(parseSample(0.1), { sample: { fraction: 0.1 } });
  assert.deepEqual(parseSample('10%'), { sample: { fraction: 0.1 } });
  assert.deepEqual(parseSample('100%'), { sample: { fraction: 1 } });
  for (const bad of [0, -3, '1.5', 'some', '', '150%']) {
    const r = parseSample(bad);
    assert.ok('problem' in r, String(bad));
    assert.match(r.problem, /give a number of files \(e\.g\. 100\), a fraction \(e\.g\. 0\.1\) or a percentage/);
  }
});

test('a scratch directory inside (or holding) an app path or a drive, or relative, is refused naming both', () => {
  const plan = (scratch: string) => ({
    apps: [
      {
        name: 'db',
        paths: ['/data/db'],
        restoreTest: { schedule: { catchupWindowSeconds: 60 }, sample: null, scratch },
      },
      { name: 'web', paths: ['/srv/web'] },
    ],
    drives: [{ name: 'd1', path: '/san/d1' }],
  });
  assert.deepEqual(scratchProblems(plan('/var/tmp/rt')), []);
  assert.deepEqual(scratchProblems(plan('/data/dbx')), []);
  const cases: [string, RegExp][] = [
    [
      '/data/db/scratch',
      /app "db": restoreTest\.scratch \/data\/db\/scratch overlaps app "db"'s data path \/data\/db; choose a directory outside/,
    ],
    ['/srv', /overlaps app "web"'s data path \/srv\/web/],
    ['/san/d1/tmp', /overlaps drive "d1" \(\/san\/d1\)/],
    ['tmp/rt', /is not an absolute path/],
  ];
  for (const [scratch, problem] of cases) {
    const found = scratchProblems(plan(scratch));
    assert.equal(found.length, 1, scratch);
    assert.match(found[0], problem);
  }
});

test('the verdict: a difference fails the run naming the file and how; none passes with the counts', () => {
  const outcome: RestoreTestOutcome = {
    node: 'n1',
    scratchDir: '/s/x',
    files: 4,
    bytes: 4096,
    totalFiles: 10,
    sampled: [],
    difference: null,
  };
  const ok = restoreTestVerdict('db', 'abcdef0123456789', outcome);
  assert.deepEqual(ok, {
    state: 'succeeded',
    path: null,
    message: 'restore test of db snapshot abcdef012345 on n1 passed: 4 files, 4096 bytes match the snapshot',
  });
  const bad = restoreTestVerdict('db', 'abcdef0123456789', {
    ...outcome,
    sampled: ['a', 'b'],
    difference: { path: 'data/t1', problem: 'has 10 bytes in the restore but 12 in the snapshot' },
  });
  assert.equal(bad.state, 'failed');
  assert.equal(bad.path, 'data/t1');
  assert.equal(
    bad.message,
    'restore test of db snapshot abcdef012345 on n1 failed: data/t1 has 10 bytes in the restore but 12 in the snapshot (4 files matched before it)',
  );
});

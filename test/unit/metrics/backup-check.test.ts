import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBackups, formatAge, unknown, withCoordinator } from '../../../src/metrics/backup-check';

const now = Date.parse('2026-12-04T12:00:00Z');
const ago = (h: number) => new Date(now - h * 3600_000).toISOString();

void test('formatAge', () => {
  assert.equal(formatAge(45), '45s');
  assert.equal(formatAge(93784), '1d 2h 3m');
  assert.equal(formatAge(7200), '2h');
});

void test('each status, the worst wins, perfdata for every app', () => {
  const times = [
    { app: 'a', lastSuccess: ago(1), lastFailure: null },
    { app: 'b', lastSuccess: ago(2), lastFailure: ago(1) },
    { app: 'c', lastSuccess: ago(30), lastFailure: null },
  ];
  const run = (apps: string[]) => checkBackups({ apps, times, nowMs: now, maxAgeSeconds: 26 * 3600 });
  assert.deepEqual(run(['a']), {
    status: 'OK',
    code: 0,
    line: "BATON OK - a backed up 1h ago | 'a_age'=3600s;;93600;0;",
  });
  assert.equal(run(['a', 'b']).code, 1);
  assert.equal(
    run(['a', 'b', 'c']).line,
    'BATON CRITICAL - b latest backup failed (last success 2h ago); c last backed up 1d 6h ago (max 1d 2h); ' +
      "a backed up 1h ago | 'a_age'=3600s;;93600;0; 'b_age'=7200s;;93600;0; 'c_age'=108000s;;93600;0;",
  );
  const never = run(['d']);
  assert.equal(never.code, 2);
  assert.equal(never.line, "BATON CRITICAL - d never backed up | 'd_age'=U;;93600;0;");
  assert.equal(run([]).code, 3);
});

void test('a coordinator problem makes any backup verdict CRITICAL, named first, perfdata kept', () => {
  const ok = checkBackups({
    apps: ['db'],
    times: [{ app: 'db', lastSuccess: ago(1), lastFailure: null }],
    nowMs: now,
    maxAgeSeconds: 7200,
  });
  assert.equal(withCoordinator(ok, null), ok);
  const v = withCoordinator(ok, 'the coordinator of cluster c is not running');
  assert.equal(v.status, 'CRITICAL');
  assert.equal(v.code, 2);
  assert.equal(
    v.line,
    "BATON CRITICAL - the coordinator of cluster c is not running; db backed up 1h ago | 'db_age'=3600s;;7200;0;",
  );
  const unknownVerdict = unknown('no apps');
  assert.equal(withCoordinator(unknownVerdict, 'x'), unknownVerdict);
});

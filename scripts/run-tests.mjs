// Runs the compiled test files with node's built-in runner, each file in its own process: unit and
// replay files two at a time (they wait on disk and child processes as much as on the CPU: 4.2 min
// one at a time, 2.6 min two at a time on a 2-core machine), then integration files one at a time
// (they start servers and clusters and some assert seconds: they run alone).
// Usage: node scripts/run-tests.mjs [tier...]   (tiers: unit, replay, integration; default all)
// BATON_TEST_FILTER=substring narrows to files whose path contains it.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const tiers = process.argv.slice(2);
const filter = process.env.BATON_TEST_FILTER ?? '';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(root)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => tiers.length === 0 || tiers.some((t) => f.startsWith(join(root, t) + '/')))
  .filter((f) => f.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no test files under ${root} for tiers [${tiers.join(', ')}] and filter '${filter}'`);
  process.exit(1);
}

// Drives the tests open are recorded in this machine's drive state (src/engine/drive-state.ts);
// keep those records in a directory of the run's own, not in the user's ~/.local/state.
const stateDir = mkdtempSync(join(tmpdir(), 'baton-test-state-'));
const env = { ...process.env, BATON_STATE_DIR: process.env.BATON_STATE_DIR ?? stateDir };
const groups = [
  { files: files.filter((f) => !f.startsWith(join(root, 'integration') + '/')), concurrency: 2 },
  { files: files.filter((f) => f.startsWith(join(root, 'integration') + '/')), concurrency: 1 },
];
let status = 0;
for (const { files: group, concurrency } of groups) {
  if (group.length === 0) continue;
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...group],
    { stdio: 'inherit', env },
  );
  // a failed group does not stop the next: the run reports every failure, then fails
  if (r.status !== 0) status = r.status ?? 1;
}
rmSync(stateDir, { recursive: true, force: true });
process.exit(status);

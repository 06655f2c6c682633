/**
 * The room rules in .dependency-cruiser.cjs (docs/architecture.md) fail on a planted import.
 * Each test copies src/ to a temp dir, plants one file, and runs `depcruise` there as `npm run
 * lint` does: today's tree passes, and each planted import fails with the rule that names it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../../helpers/temp';

/** dist/test/unit/lint -> the project root */
const ROOT = join(__dirname, '..', '..', '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** A copy of the project's src/ and lint config, with `planted` files (path -> content) added. */
function projectWith(planted: Record<string, string>): string {
  const dir = tempDir('baton-rooms-').path;
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) cpSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const [path, content] of Object.entries(planted)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function depcruise(dir: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs'], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

/** Runs depcruise over src/ plus one planted file and returns the rule names it reports. */
function violations(path: string, content: string): string[] {
  const { code, out } = depcruise(projectWith({ [path]: content }));
  const rules = [...out.matchAll(/error (\S+): /g)].map((m) => m[1]);
  assert.equal(code === 0, rules.length === 0, `exit code ${code} disagrees with the report:\n${out}`);
  return rules.sort();
}

void test("today's src/ keeps every room rule", () => {
  const { code, out } = depcruise(projectWith({}));
  assert.equal(code, 0, out);
  assert.match(out, /no dependency violations found/);
});

void test('the engine importing Temporal or the catalog fails', () => {
  const rules = violations(
    'src/engine/planted.ts',
    "import { Client } from '@temporalio/client';\nimport { openCatalog } from '../catalog/open';\nexport const x = [Client, openCatalog];\n",
  );
  assert.deepEqual(rules, ['engine-imports-nothing-of-temporal', 'engine-imports-only-model']);
});

void test('workflows importing Node, activity code, the client or another npm package fail', () => {
  const rules = violations(
    'src/workflows/planted.ts',
    [
      "import { readFileSync } from 'node:fs';",
      "import { createBackupActivities } from '../activities/backup-activities';",
      "import { connect } from '../client/connect';",
      "import pino from 'pino';",
      'export const y = [readFileSync, createBackupActivities, connect, pino];',
      '',
    ].join('\n'),
  );
  assert.deepEqual(rules, [
    'workflows-import-activities-as-types-only',
    'workflows-import-no-node-builtins',
    'workflows-imports-only-model-activities',
    'workflows-imports-only-temporalio-workflow-common',
  ]);
});

void test('workflows may import activities as types', () => {
  const rules = violations(
    'src/workflows/planted.ts',
    "import type { BackupActivities } from '../activities/backup-activities';\nexport type A = BackupActivities;\n",
  );
  assert.deepEqual(rules, []);
});

void test('lower rooms importing upward fail: catalog, cluster, config, model', () => {
  assert.deepEqual(
    violations(
      'src/catalog/planted.ts',
      "import { backupJob } from '../workflows/backup-job';\nexport const x = backupJob;\n",
    ),
    ['catalog-imports-only-model'],
  );
  assert.deepEqual(
    violations(
      'src/cluster/planted.ts',
      "import { loadConfig } from '../config/load';\nexport const x = loadConfig;\n",
    ),
    ['cluster-imports-only-model'],
  );
  assert.deepEqual(
    violations(
      'src/config/planted.ts',
      "import { openCatalog } from '../catalog/open';\nexport const x = openCatalog;\n",
    ),
    ['config-imports-only-model'],
  );
  assert.deepEqual(
    violations(
      'src/model/planted.ts',
      "import { CoordinatorState } from '../workflows/coordinator-state';\nexport const x = CoordinatorState;\n",
    ),
    ['model-imports-only-itself'],
  );
});

void test('the client importing the CLI fails', () => {
  assert.deepEqual(
    violations('src/client/planted.ts', "import { main } from '../cli/main';\nexport const x = main;\n"),
    ['client-imports-only-model-util-config-catalog-workflows'],
  );
});

void test('an import cycle fails', () => {
  const { code, out } = depcruise(
    projectWith({
      'src/util/planted-a.ts': "import { b } from './planted-b';\nexport const a = (): unknown => b;\n",
      'src/util/planted-b.ts': "import { a } from './planted-a';\nexport const b = (): unknown => a;\n",
    }),
  );
  assert.notEqual(code, 0);
  assert.match(out, /error no-circular: src\/util\/planted-(a|b)\.ts/);
});

void test('metrics importing the node process or Temporal fails; activities may record into metrics', () => {
  assert.deepEqual(
    violations(
      'src/metrics/planted.ts',
      "import { Worker } from '@temporalio/worker';\nimport { nodeHealth } from '../workers/node-health';\nexport const x = [Worker, nodeHealth];\n",
    ),
    ['metrics-imports-nothing-of-temporal', 'metrics-imports-only-model-util-log-catalog'],
  );
  assert.deepEqual(
    violations(
      'src/activities/planted.ts',
      "import { recordAttemptEnded } from '../metrics/node-metrics';\nexport const x = recordAttemptEnded;\n",
    ),
    [],
  );
});

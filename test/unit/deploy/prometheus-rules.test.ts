/**
 * The alert rules shipped in deploy/prometheus/ are valid (`promtool check rules`) and fire as
 * their tests say (`promtool test rules`, Debian's prometheus package), and a broken rule fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prometheusBinary } from '../../helpers/prometheus';
import { tempDir } from '../../helpers/temp';

/** dist/test/unit/deploy -> the project's deploy/prometheus */
const RULES_DIR = join(__dirname, '..', '..', '..', '..', 'deploy', 'prometheus');

function promtool(args: string[], cwd: string) {
  const r = spawnSync(prometheusBinary('promtool'), args, { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

void test('promtool check rules accepts baton-alerts.yml', () => {
  const r = promtool(['check', 'rules', 'baton-alerts.yml'], RULES_DIR);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: 8 rules found/);
});

void test('promtool test rules passes baton-alerts.test.yml', () => {
  const r = promtool(['test', 'rules', 'baton-alerts.test.yml'], RULES_DIR);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

void test('the rule tests catch a rule that no longer fires (slack of a day instead of an hour)', () => {
  const dir = tempDir('baton-rules-').path;
  cpSync(RULES_DIR, dir, { recursive: true });
  const file = join(dir, 'baton-alerts.yml');
  const rules = readFileSync(file, 'utf8');
  assert.ok(rules.includes('baton_backup_interval_seconds) + 3600'));
  writeFileSync(file, rules.replace('baton_backup_interval_seconds) + 3600', 'baton_backup_interval_seconds) + 86400'));
  const r = promtool(['test', 'rules', 'baton-alerts.test.yml'], dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /BatonBackupStale/);
});

/**
 * deploy/systemd/baton-node@.service: systemd itself accepts it (`systemd-analyze verify`, which
 * also checks ExecStart's program; any warning fails), it restarts on failure, stops later than the
 * node's grace time, may run crm_mon, waits for the shared storage, keeps secrets in an
 * EnvironmentFile, and its command line is one the baton CLI takes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { program } from '../../../src/cli/main';
import { tempDir } from '../../helpers/temp';

const root = resolve(__dirname, '..', '..', '..', '..');
const unitFile = join(root, 'deploy', 'systemd', 'baton-node@.service');

/** The unit's settings, section by section; a key given twice keeps every value. */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]] = {};
      continue;
    }
    const eq = line.indexOf('=');
    (current[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return sections;
}

const unit = parseUnit(readFileSync(unitFile, 'utf8'));
const service = unit.Service;
const one = (key: string) => service[key]?.join(' ') ?? '';
const execStart = one('ExecStart').split(/\s+/);

test(
  'systemd-analyze verify accepts the unit without a warning',
  { skip: spawnSync('systemd-analyze', ['--version']).status !== 0 && 'no systemd-analyze (apt-get install systemd)' },
  () => {
    const dir = tempDir('baton-systemd-');
    try {
      copyFileSync(unitFile, join(dir.path, 'baton-node@.service'));
      const r = spawnSync('systemd-analyze', ['verify', join(dir.path, 'baton-node@node-1.service')], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'systemd warned about the unit');
    } finally {
      dir.cleanup();
    }
  },
);

test('it restarts on failure, and SIGTERM reaches the node process with time to checkpoint', () => {
  assert.equal(one('Restart'), 'on-failure');
  assert.equal(one('KillMode'), 'mixed', 'SIGTERM goes to the node process, not to the crm_mon it may be running');
  const grace = Number(execStart[execStart.indexOf('--stop-grace') + 1]);
  assert.ok(grace >= 1, 'ExecStart sets no --stop-grace');
  // the grace time for backups, then up to 10 s for the workers to close (graceful-stop.ts)
  assert.ok(Number(one('TimeoutStopSec')) > grace + 10, `TimeoutStopSec ${one('TimeoutStopSec')} <= ${grace} + 10`);
});

test('it may run crm_mon, waits for the shared storage, and reads secrets from an EnvironmentFile', () => {
  assert.ok(one('SupplementaryGroups').split(/\s+/).includes('haclient'));
  assert.match(unit.Unit.RequiresMountsFor?.join(' ') ?? '', /^\/\S+/);
  assert.match(one('EnvironmentFile'), /^-?\/etc\/baton\/\S+$/);
  assert.notEqual(one('User'), '', 'runs as root');
  for (const env of service.Environment ?? [])
    assert.doesNotMatch(env, /PASSWORD|PGPASS|API_KEY/, 'a secret in the unit');
});

test('ExecStart is `baton node --name <instance>`, with options the CLI takes', () => {
  assert.match(execStart[1], /\/bin\/baton\.js$/);
  assert.equal(execStart[2], 'node');
  assert.equal(execStart[execStart.indexOf('--name') + 1], '%i');
  const node = program().commands.find((c) => c.name() === 'node')!;
  const known = node.options.map((o) => o.long);
  for (const flag of execStart.filter((w) => w.startsWith('--')))
    assert.ok(known.includes(flag), `baton node has no ${flag}`);
});

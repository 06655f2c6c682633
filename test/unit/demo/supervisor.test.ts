import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NodeSupervisor } from '../../../src/demo/supervisor';
import { tempDir } from '../../helpers/temp';

const RESTART_MS = 100;

/** Resolves once `child` has exited and every 'exit' listener added before this call has run. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

test('the demo supervisor restarts a node process that exits, rewrites its pid file, and stops for good', async () => {
  const dir = tempDir('baton-supervisor-').path;
  const lines: string[] = [];
  // No config at that path: `baton node` exits at once, standing in for a killed node.
  const sup = new NodeSupervisor({
    configFile: join(dir, 'missing.yaml'),
    runDir: dir,
    say: (l) => lines.push(l),
    restartDelayMs: RESTART_MS,
  });
  const first = sup.start('node-x');
  const deadline = Date.now() + 20_000;
  while (!lines.some((l) => l.startsWith('restarted node-x'))) {
    assert.ok(Date.now() < deadline, `no restart: ${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(lines[0], /^node-x exited \(1\); restarting it in 0 s/);
  const pid = Number(readFileSync(join(dir, 'node-x.pid'), 'utf8'));
  assert.notEqual(pid, first.child.pid);
  assert.equal(sup.processes()[0].child.pid, pid);
  await sup.stop();
  const count = lines.length;
  // The moment a restart could still come has passed once (1) every process the supervisor holds
  // has exited, its exit handlers run (ours, added last, runs after the supervisor's), and then
  // (2) a timer of RESTART_MS set after that has fired: Node fires timers in due order, so any
  // restart timer an exit set before it has fired first.
  await Promise.all(sup.processes().map((p) => exited(p.child)));
  await new Promise((r) => setTimeout(r, RESTART_MS));
  assert.ok(
    sup.processes().every((p) => p.child.exitCode !== null || p.child.signalCode !== null),
    'every process exited',
  );
  assert.equal(lines.length, count, `no restart after stop(): ${lines.join('\n')}`);
});

test('a node process stopped while it is still starting (dead of the SIGTERM itself) counts as stopped cleanly', async () => {
  const dir = tempDir('baton-supervisor-').path;
  const lines: string[] = [];
  const sup = new NodeSupervisor({ configFile: join(dir, 'missing.yaml'), runDir: dir, say: (l) => lines.push(l) });
  const p = sup.start('node-y');
  const unclean = await sup.stop();
  assert.equal(p.child.signalCode, 'SIGTERM', 'ended by the signal, before it could handle it');
  assert.deepEqual(unclean, [], lines.join('\n'));
});

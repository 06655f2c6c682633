/**
 * bench/scale's CPU samples: a busy child process shows up under its role (at most one core), an
 * idle one at about none, one given no role under `other` by its command name, and the means
 * split at a given second.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { meanCores, serverRole, startCpuSampler, type CpuSample } from '../../../bench/scale/cpu-sampler';

test('a process spinning on one core is sampled at about one core under its role; a sleeping one at about none', async () => {
  const spin = spawn(process.execPath, ['-e', 'for (;;);']);
  const sleep = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  const sampler = startCpuSampler(
    (pid, comm) => (pid === spin.pid ? 'spin' : pid === sleep.pid ? 'sleep' : serverRole(comm)),
    200,
  );
  const other = spawn(process.execPath, ['-e', 'for (;;);']); // not given a role: `other`, named
  try {
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    spin.kill('SIGKILL');
    sleep.kill('SIGKILL');
    other.kill('SIGKILL');
  }
  const samples = sampler.stop();
  assert.ok(samples.length >= 5, `${samples.length} samples`);
  const { cores } = meanCores(samples.slice(1, -1));
  assert.ok(cores.spin > 0.3 && cores.spin < 1.2, `spin: ${cores.spin} cores`);
  assert.ok((cores.sleep ?? 0) < 0.1, `sleep: ${cores.sleep} cores`);
  assert.ok(
    samples.slice(1, -1).every((s) => (s.others.node ?? 0) > 0.3),
    'the unnamed spinner shows as node under others',
  );
  assert.deepEqual(sampler.stop(), samples, 'stopped once');
});

test('means split at a second: each side averages only its own samples', () => {
  const at = (atS: number, a: number, idle: number): CpuSample => ({ atS, cores: { a }, idle, others: {} });
  const samples = [at(5, 2, 0), at(10, 1, 0.5), at(15, 0.5, 1), at(20, 0.5, 1.5)];
  assert.deepEqual(meanCores(samples, 0, 10), { cores: { a: 1.5 }, idle: 0.25 });
  assert.deepEqual(meanCores(samples, 10), { cores: { a: 0.5 }, idle: 1.25 });
  assert.equal(serverRole('temporal-server'), 'temporal server');
  assert.equal(serverRole('postgres'), 'postgresql');
  assert.equal(serverRole('bash'), 'other');
});

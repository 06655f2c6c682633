/**
 * bench/scale's CPU samples: a busy child process's CPU is counted under its role, as much as it
 * used (read from /proc apart, so the check holds on a loaded machine), a sleeping one's as little
 * as it used, one given no role under `other` by its command name; and the means split at a given
 * second.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { cpuSecondsOf, meanCores, serverRole, startCpuSampler, type CpuSample } from '../../../bench/scale/cpu-sampler';

const OTHER = 'baton-cpu-test';

test('each process’s CPU is counted under its role, as much as it used; one given no role under `other` by name', async () => {
  const spin = spawn(process.execPath, ['-e', 'for (;;);']);
  const sleep = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  // not given a role: `other`, by a command name no other process has (process.title sets comm)
  const other = spawn(process.execPath, ['-e', `process.title = '${OTHER}'; for (;;);`]);
  const pids = [spin.pid ?? 0, sleep.pid ?? 0, other.pid ?? 0];
  let used: number[];
  let samples: CpuSample[];
  try {
    await new Promise((r) => setTimeout(r, 200)); // started
    const before = pids.map(cpuSecondsOf);
    const sampler = startCpuSampler(
      (pid, comm) => (pid === spin.pid ? 'spin' : pid === sleep.pid ? 'sleep' : serverRole(comm)),
      200,
    );
    await new Promise((r) => setTimeout(r, 1500));
    samples = sampler.stop();
    used = pids.map((pid, i) => cpuSecondsOf(pid) - before[i]);
    assert.deepEqual(sampler.stop(), samples, 'stopped once');
  } finally {
    for (const child of [spin, sleep, other]) child.kill('SIGKILL');
  }
  assert.ok(samples.length >= 5, `${samples.length} samples`);
  // what the samples counted, in CPU seconds: cores times each interval's length
  const counted = (pick: (s: CpuSample) => number) =>
    samples.reduce((sum, s, i) => sum + pick(s) * (s.atS - (i > 0 ? samples[i - 1].atS : 0)), 0);
  const near = (got: number, want: number, what: string) =>
    assert.ok(Math.abs(got - want) <= 0.05 + want * 0.15, `${what}: counted ${got} s, used ${want} s`);
  // however loaded the machine is, the spinner used some CPU, and the samples count what it used
  assert.ok(used[0] > 0.02, `the spinner ran: ${used[0]} s`);
  near(
    counted((s) => s.cores.spin ?? 0),
    used[0],
    'spin',
  );
  // the sleeper's start-up may fall in the window on a loaded machine: counted as it used, too
  near(
    counted((s) => s.cores.sleep ?? 0),
    used[1],
    'sleep',
  );
  // the unnamed spinner: all it used under `other`; by name in `others` while among its five busiest
  // (on a loaded machine it may not be in every interval), and never more than it used
  assert.ok(counted((s) => s.cores.other ?? 0) >= used[2] * 0.85 - 0.05, 'the unnamed spinner is under other');
  assert.ok(
    samples.some((s) => (s.others[OTHER] ?? 0) > 0),
    `the unnamed spinner is in others by name: ${JSON.stringify(samples.map((s) => s.others))}`,
  );
  assert.ok(counted((s) => s.others[OTHER] ?? 0) <= used[2] * 1.15 + 0.05, 'others count no more than it used');
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

/** Commands the engine benchmarks run: timed under /usr/bin/time, or just run. */
import { spawnSync } from 'node:child_process';

export interface Measure {
  /** wall seconds */
  seconds: number;
  /** user + system CPU seconds of the process and its threads */
  cpu: number;
  rssMiB: number;
}

/** Runs `cmd` under /usr/bin/time after a `sync` (no step pays for another's dirty pages); throws if it fails. */
export function timed(cmd: string[], env: NodeJS.ProcessEnv, cwd?: string): Measure {
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...cmd], { env, cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [s, user, sys, kb] = last.split(' ').map(Number);
  return { seconds: s, cpu: user + sys, rssMiB: Math.round(kb / 1024) };
}

/** Runs `cmd`; its stdout, or throws with the end of its stderr. */
export function run(cmd: string[], env: NodeJS.ProcessEnv, cwd?: string): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { env, cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

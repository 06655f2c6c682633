/**
 * Where the machine's CPU goes during a bench run, by the role of each process, read from /proc
 * every few seconds: the Temporal server, PostgreSQL (every backend), the worker processes that
 * carry the coordinator, the other node workers, the bench itself (its clients and catalog reads)
 * and the rest. Each interval is one sample: cores used per role, and the machine's idle cores.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSample {
  /** seconds since the sampler started, at the interval's end */
  atS: number;
  /** cores used in the interval, by role */
  cores: Record<string, number>;
  /** the machine's idle cores in the interval (/proc/stat) */
  idle: number;
  /** what `other` was, by command name: the five busiest (kernel threads, tools started meanwhile) */
  others: Record<string, number>;
}

/** The role of a process, from its pid and its command name (comm). */
export type RoleOf = (pid: number, comm: string) => string;

/** Roles every run has: the server and its database by name, everything not named as `other`. */
export function serverRole(comm: string): string {
  if (comm === 'temporal-server') return 'temporal server';
  if (comm === 'postgres') return 'postgresql';
  return 'other';
}

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A process's command name and CPU ticks (user + system) so far; null when it is gone. */
function statOf(pid: number): { comm: string; ticks: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." where comm may hold spaces and parentheses: split at the last ')'
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) "
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Every process's command name and CPU ticks now. */
function processTicks(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name)); // null: gone since the listing
    if (stat) out.set(Number(name), stat);
  }
  return out;
}

/** CPU seconds (user + system) process `pid` has used so far. */
export function cpuSecondsOf(pid: number): number {
  return (statOf(pid)?.ticks ?? 0) / TICKS_PER_S;
}

/** The machine's idle ticks (idle + iowait), summed over its cores. */
function idleTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return cpu[3] + cpu[4];
}

/**
 * Samples every `everyMs` until stopped. A process that started within an interval counts all its
 * ticks there; one that ended within it counts nothing for that interval (its last ticks are lost).
 */
export function startCpuSampler(roleOf: RoleOf, everyMs = 5000): { stop(): CpuSample[] } {
  const samples: CpuSample[] = [];
  const t0 = performance.now();
  let last = { at: t0, procs: processTicks(), idle: idleTicks() };
  const take = () => {
    const now = { at: performance.now(), procs: processTicks(), idle: idleTicks() };
    const seconds = (now.at - last.at) / 1000;
    const cores: Record<string, number> = {};
    const others: Record<string, number> = {};
    for (const [pid, p] of now.procs) {
      const before = last.procs.get(pid);
      const used = (before && before.comm === p.comm ? p.ticks - before.ticks : p.ticks) / TICKS_PER_S / seconds;
      const role = roleOf(pid, p.comm);
      cores[role] = (cores[role] ?? 0) + used;
      if (role === 'other' && used > 0) others[p.comm] = (others[p.comm] ?? 0) + used;
    }
    const busiest = Object.entries(others)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    samples.push({
      atS: (now.at - t0) / 1000,
      cores,
      idle: (now.idle - last.idle) / TICKS_PER_S / seconds,
      others: Object.fromEntries(busiest),
    });
    last = now;
  };
  const timer = setInterval(take, everyMs);
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        clearInterval(timer);
        take();
        stopped = true;
      }
      return samples;
    },
  };
}

/** Mean cores per role over the samples in [fromS, toS), and the mean idle. */
export function meanCores(
  samples: CpuSample[],
  fromS = 0,
  toS = Infinity,
): { cores: Record<string, number>; idle: number } {
  const within = samples.filter((s) => s.atS > fromS && s.atS <= toS);
  const cores: Record<string, number> = {};
  for (const s of within) for (const [role, c] of Object.entries(s.cores)) cores[role] = (cores[role] ?? 0) + c;
  for (const role of Object.keys(cores)) cores[role] /= within.length || 1;
  return { cores, idle: within.reduce((n, s) => n + s.idle, 0) / (within.length || 1) };
}

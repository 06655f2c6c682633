/**
 * The decisions about drive locks, apart from any I/O: how long a lock lives without a refresh
 * (its stale age), when another process's lock is stale, and how a holder's own lock stands by its
 * own clocks (fresh, due for a refresh, or late: possibly taken for stale by someone else).
 */
import { EngineError } from './errors';

export const DEFAULT_STALE_MS = 30 * 60 * 1000;
export const MIN_STALE_MS = 1000;
export const MAX_STALE_MS = 24 * 60 * 60 * 1000;
/** the environment variable that sets this process's stale age, in seconds (default 1800) */
export const STALE_ENV = 'BATON_LOCK_STALE_SECONDS';

export interface LockFile {
  /** 1: without `staleAfter` (30 minutes); 2: with it */
  version: 1 | 2;
  exclusive: boolean;
  hostname: string;
  pid: number;
  time: string;
  refreshed: string;
  purpose: string;
  /** seconds without a refresh after which the lock is old (its holder refreshes every sixth of it) */
  staleAfter?: number;
}

/** This process's stale age from BATON_LOCK_STALE_SECONDS (default 30 minutes); a bad value is refused. */
export function staleAgeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[STALE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_STALE_MS;
  const seconds = Number(raw);
  const ms = seconds * 1000;
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || ms < MIN_STALE_MS || ms > MAX_STALE_MS) {
    throw new EngineError(
      `${STALE_ENV}=${JSON.stringify(raw)} is not a lock stale age; give seconds from ${MIN_STALE_MS / 1000} to ${MAX_STALE_MS / 1000} (default ${DEFAULT_STALE_MS / 1000}), or unset it`,
      'BAD_OPTION',
    );
  }
  return ms;
}

/** The stale age a lock's holder promised (its own setting), or 30 minutes for a version-1 lock. */
export function lockStaleMs(l: LockFile): number {
  const s = l.staleAfter;
  if (typeof s !== 'number' || !Number.isFinite(s)) return DEFAULT_STALE_MS;
  return Math.min(MAX_STALE_MS, Math.max(MIN_STALE_MS, s * 1000));
}

/** How often a holder refreshes a lock of this stale age: six times per stale age (5 of 30 minutes). */
export function refreshEveryMs(staleMs: number): number {
  return Math.max(100, Math.floor(staleMs / 6));
}

export interface StaleContext {
  now: number;
  host: string;
  /** whether a process of this host with that PID exists */
  alive: (pid: number) => boolean;
}

/**
 * Old: not refreshed for its stale age, by the time written in it (the holder's clock) and by the
 * file's modification time (the clock of the machine that stores the drive) alike, so one host's
 * clock running behind does not make its live locks look old to the others.
 */
export function isOld(l: LockFile, mtimeMs: number, now: number): boolean {
  const stale = lockStaleMs(l);
  const refreshed = Date.parse(l.refreshed);
  const byHolder = Number.isNaN(refreshed) || now - refreshed > stale;
  return byHolder && now - mtimeMs > stale;
}

/**
 * Stale (ignored by others and removable), as restic judges it: old, or held by a process of this
 * host that no longer exists. A lock of another host is never judged by its PID.
 */
export function isStale(l: LockFile, mtimeMs: number, ctx: StaleContext): boolean {
  if (isOld(l, mtimeMs, ctx.now)) return true;
  return l.hostname === ctx.host && !ctx.alive(l.pid);
}

export type HolderState = 'fresh' | 'due' | 'late';

/**
 * Where a holder's lock stands, from the time since its last successful write by the wall clock and
 * by the monotonic one (the larger: a suspended VM's monotonic clock stands still, a wall clock may
 * be set back). Late from three quarters of the stale age on (restic's margin of one and a half
 * refresh intervals): by then another process may take it for stale, so the holder must prove its
 * lock still stands before it writes on.
 */
export function holderState(sinceWriteMs: number, staleMs: number): HolderState {
  if (sinceWriteMs >= staleMs - 1.5 * refreshEveryMs(staleMs)) return 'late';
  return sinceWriteMs >= refreshEveryMs(staleMs) ? 'due' : 'fresh';
}

/**
 * Whether lock `other` keeps a holder (exclusive or not) from going on. A holder that only pins
 * packs (`withBackups`: a resumed backup on another drive its checkpoint uses) shares the drive
 * with every backup, even a tape's exclusive appender: a backup deletes nothing.
 */
export function conflicts(exclusive: boolean, other: LockFile, withBackups = false): boolean {
  if (withBackups && other.purpose === 'backup') return false;
  return exclusive || other.exclusive;
}

/**
 * A provisional refs file (a resumed backup pinning its checkpoint's packs on another drive) lives
 * this many of its writer's stale ages after its last refresh: beyond the stale age, so a prune that
 * took a paused backup's lock for stale still keeps the packs the job's next attempt resumes from;
 * bounded, so a killed backup does not pin them for ever.
 */
export const PROVISIONAL_LIFE = 4;

/**
 * Expired: not refreshed for PROVISIONAL_LIFE stale ages, by the time written in it (the writer's
 * clock) and by the file's modification time (the drive's clock) alike, as locks are judged old.
 */
export function provisionalExpired(
  mark: { refreshed: string; staleAfter: number },
  mtimeMs: number,
  now: number,
): boolean {
  const life = PROVISIONAL_LIFE * Math.min(MAX_STALE_MS, Math.max(MIN_STALE_MS, mark.staleAfter * 1000));
  const refreshed = Date.parse(mark.refreshed);
  const byWriter = Number.isNaN(refreshed) || now - refreshed > life;
  return byWriter && now - mtimeMs > life;
}

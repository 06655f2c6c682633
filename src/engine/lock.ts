/**
 * Drive locks: shared for backups, restores and verifies, exclusive for forget and prune (and for
 * backups on tape). Every holder refreshes its lock on a timer (a sixth of its stale age), proves
 * the lock is still its own (not removed, not replaced) before each refresh and around each commit,
 * and stops with LockLostError when it is not. When a lock is stale: lock-rules.ts.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogDir, Drive } from './drive';
import { DriveFullError, LockLostError, LockedError, errnoCode } from './errors';
import { isLockFile } from './validate';
import { conflicts, holderState, isStale, lockStaleMs, refreshEveryMs, staleAgeFromEnv } from './lock-rules';
import type { LockFile, StaleContext } from './lock-rules';

export type { LockFile } from './lock-rules';

export interface LockEntry {
  name: string;
  lock: LockFile;
  /** the lock file's modification time, by the clock of the machine storing the drive */
  mtimeMs: number;
}

/** Whether a process of this host with that PID exists (EPERM: it does, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

export function staleContext(): StaleContext {
  return { now: Date.now(), host: hostname(), alive: processAlive };
}

/** One lock file, or null when it is gone or not a lock (nor is a file of another shape: validate.ts). */
async function readLockAt(file: string): Promise<{ lock: LockFile; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const lock: unknown = JSON.parse(text);
    return isLockFile(lock) ? { lock: lock as LockFile, mtimeMs: st.mtimeMs } : null;
  } catch {
    return null; // removed or half-visible while listing: not a lock
  }
}

export async function readLocks(drive: Drive): Promise<LockEntry[]> {
  const out: LockEntry[] = [];
  for (const name of await drive.list('locks')) {
    const l = await readLockAt(join(drive.path, 'locks', name));
    if (l) out.push({ name, ...l });
  }
  return out;
}

/**
 * Removes the stale locks other than `own`, safely against a holder refreshing meanwhile: each is
 * first renamed aside (atomic) and judged again as found there; one refreshed in between goes back
 * (unless its holder has already written it anew) and is returned, as a lock that holds.
 */
export async function removeStaleLocks(drive: Drive, own: string): Promise<LockEntry[]> {
  const revived: LockEntry[] = [];
  for (const e of await readLocks(drive)) {
    if (e.name === own || !isStale(e.lock, e.mtimeMs, staleContext())) continue;
    const file = join(drive.path, 'locks', e.name);
    const aside = `${file}.tmp-stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(file, aside);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw err;
    }
    const seen = await readLockAt(aside);
    if (seen !== null && !isStale(seen.lock, seen.mtimeMs, staleContext())) {
      await link(aside, file).catch((err: unknown) => {
        if (errnoCode(err) !== 'EEXIST') throw err;
      });
      revived.push({ name: e.name, ...seen });
    }
    await unlink(aside).catch(() => undefined);
  }
  return revived;
}

export function lockedMessage(drive: Drive, c: LockFile, purpose: string): string {
  return (
    `drive ${drive.path} is locked by ${c.purpose} (${c.exclusive ? 'exclusive' : 'shared'}) on ${c.hostname} pid ${c.pid} since ${c.time}; ` +
    `${purpose} did not start. Retry when it has finished (a lock goes stale ${lockStaleMs(c) / 1000} s after its last refresh, ${c.refreshed}).`
  );
}

export class Lock {
  private timer: NodeJS.Timeout | null = null;
  private lost: LockedError | null = null;
  /** the text last written, and when (wall and monotonic clock) */
  private text: string;
  private wallAt = Date.now();
  private monoAt = performance.now();
  /** refreshes and checks, one at a time */
  private chain: Promise<void> = Promise.resolve();
  /** what else the holder keeps fresh with its lock (a provisional refs file: lock-set.ts) */
  private alsoRefresh: (() => Promise<void>) | null = null;

  private constructor(
    private readonly drive: Drive,
    readonly name: string,
    private readonly file: LockFile,
    /** this holder's stale age, written into the lock as `staleAfter` */
    readonly staleMs: number,
    /** shares the drive with backups' locks, exclusive ones too (see lock-rules.ts conflicts) */
    private readonly withBackups: boolean,
  ) {
    this.text = JSON.stringify(file);
  }

  /**
   * Writes this process's lock, then looks for conflicting live locks (write, then look: of two
   * processes starting at once, at least one sees the other). `staleMs` defaults to
   * BATON_LOCK_STALE_SECONDS (30 minutes).
   */
  static async acquire(
    drive: Drive,
    exclusive: boolean,
    purpose: string,
    staleMs = staleAgeFromEnv(),
    withBackups = false,
  ): Promise<Lock> {
    const now = new Date().toISOString();
    const file: LockFile = {
      version: 2,
      exclusive,
      hostname: hostname(),
      pid: process.pid,
      time: now,
      refreshed: now,
      purpose,
      staleAfter: staleMs / 1000,
    };
    const lock = new Lock(drive, randomBytes(16).toString('hex'), file, staleMs, withBackups);
    await drive.writeFile('locks', lock.name, Buffer.from(lock.text));
    const c = await lock.conflict();
    if (c !== null) {
      await drive.remove('locks', lock.name);
      throw new LockedError(lockedMessage(drive, c, purpose));
    }
    lock.timer = setInterval(() => void lock.refresh().catch(() => undefined), refreshEveryMs(staleMs));
    lock.timer.unref(); // never what keeps the process alive
    return lock;
  }

  /**
   * A shared lock for a reader (restore, verify), so prune cannot delete packs under it. A drive
   * this process cannot write to (read-only media or mount, no write permission, full) is read
   * without a lock (null) rather than not at all: a restore matters most exactly then.
   */
  static async acquireReader(drive: Drive, purpose: string): Promise<Lock | null> {
    try {
      return await Lock.acquire(drive, false, purpose);
    } catch (err) {
      const code = errnoCode(err);
      if (err instanceof DriveFullError || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return null;
      throw err;
    }
  }

  /** A live lock of another process that this one cannot share the drive with, or null. */
  private async conflict(): Promise<LockFile | null> {
    const ctx = staleContext();
    const others = (await readLocks(this.drive)).filter(
      (l) =>
        l.name !== this.name &&
        !isStale(l.lock, l.mtimeMs, ctx) &&
        conflicts(this.file.exclusive, l.lock, this.withBackups),
    );
    return others.length > 0 ? others[0].lock : null;
  }

  /** Milliseconds since the last write, by whichever clock says more. */
  private elapsed(): number {
    return Math.max(Date.now() - this.wallAt, performance.now() - this.monoAt);
  }

  private lose(why: string): never {
    this.lost = new LockLostError(this.drive.path, this.file.purpose, why);
    throw this.lost;
  }

  /** Throws at once if a refresh found the lock lost. */
  throwIfLost(): void {
    if (this.lost) throw this.lost;
  }

  private serial(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `step` after every successful refresh from now on (null: no more), on the same timer; a
   * failing step is not the lock's failure: it is tried again at the next refresh.
   */
  onRefreshed(step: (() => Promise<void>) | null): void {
    this.alsoRefresh = step;
  }

  /** Rewrites the lock with a new time, after proving it is still this process's own. */
  refresh(): Promise<void> {
    return this.serial(() => this.refreshNow());
  }

  /**
   * Proves the lock stands: still its own and, when it is due or late, refreshed. Called before and
   * after each commit (see writeHeld) and by prune before it deletes.
   */
  check(): Promise<void> {
    return this.serial(async () => {
      this.throwIfLost();
      if (holderState(this.elapsed(), this.staleMs) === 'fresh') await this.verifyOwn();
      else await this.refreshNow();
    });
  }

  private async verifyOwn(): Promise<void> {
    let text: string;
    try {
      text = (await this.drive.readFile('locks', this.name)).toString('utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') this.lose('was removed by another process');
      throw err;
    }
    if (text !== this.text) this.lose('was replaced by another process');
  }

  /**
   * A late lock may have been taken for stale: after rewriting it, this process looks for conflicting
   * locks as if acquiring anew, and stops if one holds the drive (restic's refresh of a stale lock).
   */
  private async refreshNow(): Promise<void> {
    this.throwIfLost();
    const late = holderState(this.elapsed(), this.staleMs) === 'late';
    await this.verifyOwn();
    const staleWhenVerified = this.elapsed() >= this.staleMs;
    const wallAt = Date.now();
    const monoAt = performance.now();
    this.file.refreshed = new Date(wallAt).toISOString();
    const text = JSON.stringify(this.file);
    await this.drive.writeFile('locks', this.name, Buffer.from(text));
    // Paused between the check above and this write (SIGSTOP, a hung mount) past the stale age:
    // meanwhile another process may have taken the lock for stale, done its work (a prune deleting
    // this holder's packs) and left, which no file shows; the write just put the lock back. Stop.
    if (!staleWhenVerified && this.elapsed() >= this.staleMs) {
      await this.drive.remove('locks', this.name).catch(() => undefined);
      this.lose(
        `went stale while this process refreshed it (paused ${Math.round(this.elapsed() / 1000)} s since its last refresh), ` +
          'so another process may have taken the drive meanwhile',
      );
    }
    this.text = text;
    this.wallAt = wallAt;
    this.monoAt = monoAt;
    if (late) {
      const c = await this.conflict();
      if (c !== null)
        this.lose(`was not refreshed in time and ${c.purpose} on ${c.hostname} pid ${c.pid} took the drive`);
    }
    if (this.alsoRefresh) await this.alsoRefresh().catch(() => undefined);
  }

  /**
   * Writes a catalog file that commits work (an index, a snapshot, a refs file) under the lock:
   * checks before, and after; if the lock was lost meanwhile, the file is removed again.
   */
  async writeHeld(dir: CatalogDir, name: string, data: Buffer): Promise<void> {
    await this.check();
    await this.drive.writeFile(dir, name, data);
    try {
      await this.check();
    } catch (err) {
      await this.drive.remove(dir, name).catch(() => undefined);
      throw err;
    }
  }

  /** Stops refreshing and removes the lock file, if it is still the one this process wrote. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain;
    const text = await this.drive.readFile('locks', this.name).catch(() => null);
    if (text !== null && text.toString('utf8') === this.text) await this.drive.remove('locks', this.name);
  }
}

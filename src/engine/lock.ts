/**
 * Drive locks: shared for backups, restores and verifies, exclusive for forget and prune. Stale
 * after 30 minutes without refresh, or at once when held by a process of this host that no longer
 * exists.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Drive } from './drive';
import { DriveFullError, LockedError, errnoCode } from './errors';
import { isLockFile } from './validate';

export const STALE_AFTER_MS = 30 * 60 * 1000;
/** how often a reader's lock is refreshed: well inside STALE_AFTER_MS */
export const READER_REFRESH_MS = 5 * 60 * 1000;

export interface LockFile {
  version: 1;
  exclusive: boolean;
  hostname: string;
  pid: number;
  time: string;
  refreshed: string;
  purpose: string;
}

export function isStale(l: LockFile, now = Date.now()): boolean {
  if (now - Date.parse(l.refreshed) > STALE_AFTER_MS) return true;
  if (l.hostname === hostname()) {
    try {
      process.kill(l.pid, 0);
    } catch (err) {
      return (err as { code?: string }).code === 'ESRCH';
    }
  }
  return false;
}

export async function readLocks(drive: Drive): Promise<{ name: string; lock: LockFile }[]> {
  const out: { name: string; lock: LockFile }[] = [];
  for (const name of await drive.list('locks')) {
    try {
      const lock: unknown = JSON.parse((await drive.readFile('locks', name)).toString('utf8'));
      // nor is a file of another shape: it would hold nothing and name no process (validate.ts)
      if (isLockFile(lock)) out.push({ name, lock: lock as LockFile });
    } catch {
      // a lock removed or half-visible while listing is not a lock
    }
  }
  return out;
}

export class Lock {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly drive: Drive,
    readonly name: string,
    private readonly file: LockFile,
  ) {}

  static async acquire(drive: Drive, exclusive: boolean, purpose: string): Promise<Lock> {
    const now = new Date().toISOString();
    const file: LockFile = {
      version: 1,
      exclusive,
      hostname: hostname(),
      pid: process.pid,
      time: now,
      refreshed: now,
      purpose,
    };
    const name = randomBytes(16).toString('hex');
    await drive.writeFile('locks', name, Buffer.from(JSON.stringify(file)));
    const conflicts = (await readLocks(drive)).filter(
      (l) => l.name !== name && !isStale(l.lock) && (exclusive || l.lock.exclusive),
    );
    if (conflicts.length > 0) {
      await drive.remove('locks', name);
      const c = conflicts[0].lock;
      throw new LockedError(
        `drive ${drive.path} is locked by ${c.purpose} (${c.exclusive ? 'exclusive' : 'shared'}) on ${c.hostname} pid ${c.pid} since ${c.time}; ` +
          `${purpose} did not start. Retry when it has finished (locks go stale after 30 minutes without refresh).`,
      );
    }
    return new Lock(drive, name, file);
  }

  /**
   * A shared lock for a reader (restore, verify), so prune cannot delete packs under it, refreshed
   * on a timer until released since a reader has no checkpoints to refresh it at. A drive this
   * process cannot write to (read-only media or mount, no write permission, full) is read without
   * a lock (null) rather than not at all: a restore matters most exactly then.
   */
  static async acquireReader(drive: Drive, purpose: string): Promise<Lock | null> {
    let lock: Lock;
    try {
      lock = await Lock.acquire(drive, false, purpose);
    } catch (err) {
      const code = errnoCode(err);
      if (err instanceof DriveFullError || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return null;
      throw err;
    }
    lock.timer = setInterval(() => void lock.refresh().catch(() => undefined), READER_REFRESH_MS);
    lock.timer.unref(); // never what keeps the process alive
    return lock;
  }

  async refresh(): Promise<void> {
    this.file.refreshed = new Date().toISOString();
    await this.drive.writeFile('locks', this.name, Buffer.from(JSON.stringify(this.file)));
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drive.remove('locks', this.name);
  }
}

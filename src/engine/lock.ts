/**
 * Drive locks: shared for backups, exclusive for prune. Stale after 30 minutes without refresh,
 * or at once when held by a process of this host that no longer exists.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Drive } from './drive';
import { LockedError } from './errors';

export const STALE_AFTER_MS = 30 * 60 * 1000;

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
      out.push({ name, lock: JSON.parse((await drive.readFile('locks', name)).toString('utf8')) as LockFile });
    } catch {
      // a lock removed or half-visible while listing is not a lock
    }
  }
  return out;
}

export class Lock {
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

  async refresh(): Promise<void> {
    this.file.refreshed = new Date().toISOString();
    await this.drive.writeFile('locks', this.name, Buffer.from(JSON.stringify(this.file)));
  }

  async release(): Promise<void> {
    await this.drive.remove('locks', this.name);
  }
}

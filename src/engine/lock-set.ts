/**
 * A backup's locks: the one on the drive it writes to, and a shared one on every other drive its
 * resumed checkpoint uses, each on its own refresh timer. On each such drive the backup also keeps a
 * provisional refs file listing the packs it uses there, rewritten at each checkpoint (before the
 * checkpoint is handed on) and with each refresh of that drive's lock, so a prune that takes a paused backup's lock for stale still keeps them for the job's next attempt;
 * the commit replaces it with the final refs, and one left behind expires (lock-rules.ts).
 */
import { randomBytes } from 'node:crypto';
import type { CheckpointDrive } from './checkpoint';
import type { CatalogDir, Drive } from './drive';
import { Lock } from './lock';

/** A drive the checkpoint uses besides the backup's own: its lock and the provisional refs there. */
interface OtherDrive {
  drive: Drive;
  lock: Lock;
  /** `refs/<name>` of the provisional refs file, once written; null before and once committed */
  provisional: string | null;
  /** what the provisional refs list: the checkpoint's entry for this drive (kept current), and the backup */
  pinned: { used: CheckpointDrive; backupId: string } | null;
  /** writes of the provisional refs file, one at a time */
  writes: Promise<void>;
}

export class BackupLocks {
  private readonly others = new Map<string, OtherDrive>();

  /** `main`: the lock on the drive the backup writes to (`drive`). */
  constructor(
    private readonly drive: Drive,
    readonly main: Lock,
  ) {}

  /**
   * Takes a shared lock on another drive the checkpoint uses (before its index is read). It keeps
   * out prune, forget, repair and key remove, not backups: a tape's appender (exclusive) may go on.
   */
  async holdOther(other: Drive): Promise<void> {
    if (this.others.has(other.id)) return;
    const lock = await Lock.acquire(other, false, 'backup', undefined, true);
    this.others.set(other.id, { drive: other, lock, provisional: null, pinned: null, writes: Promise.resolve() });
  }

  /**
   * Writes the provisional refs file on a held drive, listing `used.packs` (the checkpoint's packs
   * there, kept current as the backup goes: each refresh writes the list again), under its lock.
   */
  async pin(used: CheckpointDrive, backupId: string): Promise<void> {
    const o = this.others.get(used.id);
    if (!o) throw new Error(`bug: pin on drive ${used.id} that the backup does not hold`);
    const name = randomBytes(32).toString('hex');
    await o.lock.writeHeld('refs', name, this.provisionalRefs(o, name, used, backupId));
    o.provisional = name;
    o.pinned = { used, backupId };
    o.lock.onRefreshed(() => {
      o.writes = o.writes.then(() => this.rewrite(o, used, backupId)).catch(() => undefined);
      return o.writes;
    });
  }

  /**
   * Rewrites every provisional refs file now, listing the packs the backup uses there so far (the
   * checkpointer calls it at each checkpoint, after the pack lists are resolved): a pack first used
   * on such a drive is pinned at the checkpoint that lists it, not only at the next lock refresh.
   */
  async repin(): Promise<void> {
    for (const o of this.others.values()) {
      const pinned = o.pinned;
      if (pinned === null) continue;
      const write = o.writes.then(() => this.rewrite(o, pinned.used, pinned.backupId));
      o.writes = write.catch(() => undefined);
      await write;
    }
  }

  private async rewrite(o: OtherDrive, used: CheckpointDrive, backupId: string): Promise<void> {
    if (o.provisional === null) return; // committed or released meanwhile
    await o.drive.writeFile('refs', o.provisional, this.provisionalRefs(o, o.provisional, used, backupId));
  }

  private provisionalRefs(o: OtherDrive, name: string, used: CheckpointDrive, backupId: string): Buffer {
    const provisional = {
      backup: backupId,
      lock: o.lock.name,
      refreshed: new Date().toISOString(),
      staleAfter: o.lock.staleMs / 1000,
    };
    const refs = { version: 1, snapshot: name, drive: this.drive.id, packs: [...used.packs].sort(), provisional };
    return Buffer.from(JSON.stringify(refs));
  }

  /** Stops rewriting a drive's provisional refs and waits for a write under way; returns its name. */
  private async unpin(o: OtherDrive): Promise<string | null> {
    const name = o.provisional;
    o.provisional = null;
    o.lock.onRefreshed(null);
    await o.writes;
    return name;
  }

  /** Throws LockLostError at once if a refresh found any of the locks lost. */
  throwIfLost(): void {
    this.main.throwIfLost();
    for (const o of this.others.values()) o.lock.throwIfLost();
  }

  /** Refreshes every lock (each proving it is still its own first). */
  async refresh(): Promise<void> {
    await this.main.refresh();
    for (const o of this.others.values()) await o.lock.refresh();
  }

  /** Proves every lock stands (see Lock.check). */
  async check(): Promise<void> {
    await this.main.check();
    for (const o of this.others.values()) await o.lock.check();
  }

  /** Writes a commit file (index, snapshot) on the backup's drive under its lock; the others must hold too. */
  async writeHeld(dir: CatalogDir, name: string, data: Buffer): Promise<void> {
    this.throwIfLost();
    await this.main.writeHeld(dir, name, data);
  }

  /**
   * The final refs on another drive, `refs/<snapshot id>`: written under that drive's lock (lost in
   * between, it is taken back), then the provisional refs file there removed. A drive the backup
   * holds no lock on (none of the checkpoint's) gets them after a check of the backup's own lock.
   */
  async commitRefs(other: Drive, snapshotId: string, data: Buffer): Promise<void> {
    const o = this.others.get(other.id);
    if (!o) {
      await this.main.check();
      await other.writeFile('refs', snapshotId, data);
      return;
    }
    await o.lock.writeHeld('refs', snapshotId, data);
    const name = await this.unpin(o);
    if (name !== null) await other.remove('refs', name);
  }

  /** Removes the provisional refs of drives the snapshot ended up not using (after the final refs). */
  async dropUnused(usedIds: ReadonlySet<string>): Promise<void> {
    for (const [id, o] of this.others) {
      if (usedIds.has(id)) continue;
      const name = await this.unpin(o);
      if (name !== null) await o.drive.remove('refs', name);
    }
  }

  /**
   * Releases every lock, however the backup ended. Provisional refs not committed stay: they keep the
   * checkpoint's packs for the next attempt until they expire.
   */
  async release(): Promise<void> {
    for (const o of this.others.values()) {
      await this.unpin(o);
      await o.lock.release().catch(() => undefined);
    }
    await this.main.release().catch(() => undefined);
  }
}

/**
 * The archiver's walk: takes the walk's events in order (with the look-ahead starting files early)
 * and hands each entry to its saver: directories to the tree saver, files to the file saver. A
 * checkpoint may follow every entry.
 */
import type { Report, Tally } from './backup-tally';
import { pathText } from './backup-tally';
import type { Checkpointer } from './checkpointer';
import type { EntryStats } from './entry-stats';
import { throwIfAborted } from './errors';
import type { FileEvent, FileSaver, PendingFile } from './file-saver';
import { LookAhead } from './look-ahead';
import type { EventSource } from './look-ahead';
import type { SmallFileBatcher } from './small-file-batcher';
import { makeNode, specialType } from './tree';
import type { TreeNode } from './tree';
import type { TreeSaver } from './tree-saver';
import { resumedFrame } from './tree-saver';
import type { WalkEvent } from './walker';
import type { Xattr } from './xattrs';

type Item = PendingFile | { ev: Exclude<WalkEvent, { t: 'file' }>; readAhead?: undefined };

export interface BackupWalkDeps {
  events: EventSource<WalkEvent>;
  trees: TreeSaver;
  files: FileSaver;
  batcher: SmallFileBatcher;
  checkpointer: Checkpointer;
  tally: Tally;
  report: Report;
  signal?: AbortSignal;
}

export class BackupWalk {
  private readonly ahead: LookAhead<WalkEvent, Item>;

  constructor(private readonly d: BackupWalkDeps) {
    this.ahead = new LookAhead<WalkEvent, Item>(d.events, (ev) => (ev.t === 'file' ? d.files.start(ev) : { ev }));
  }

  /**
   * Walks to the end; the root's entries are then in trees.frames[0]. Each step waits only when it
   * has to (a file's content not in yet, a pack write, a tree, a checkpoint): an `await` of a value
   * that is not a promise still costs a turn of the microtask queue, and there are several per file.
   */
  async run(): Promise<void> {
    for (;;) {
      throwIfAborted(this.d.signal, 'backup');
      if (this.ahead.length === 0) {
        const filling = this.fill();
        if (filling) await filling;
      }
      const item = this.ahead.shift();
      if (!item) break;
      const handling = this.handle(item);
      if (handling) await handling;
      const filling = this.fill();
      if (filling) await filling;
      const checkpointing = this.d.checkpointer.maybe();
      if (checkpointing) await checkpointing;
    }
  }

  private fill(): Promise<void> | undefined {
    const walking = this.ahead.fill();
    if (walking) return walking.then(() => this.d.batcher.sendIfIdle(this.ahead.done));
    this.d.batcher.sendIfIdle(this.ahead.done);
    return undefined;
  }

  private handle(item: Item): Promise<void> | undefined {
    const { trees, tally } = this.d;
    const ev = item.ev;
    switch (ev.t) {
      case 'enter':
        trees.enter(
          ev.resumed
            ? resumedFrame(ev.name, ev.resumed)
            : {
                name: ev.name,
                node: makeNode(ev.name, 'dir', ev.st as EntryStats, { xattrs: this.xattrsOf(ev) }),
                nodes: [],
              },
        );
        break;
      case 'leave':
        return trees.leave().then(() => {
          tally.stats.dirs++;
        });
      case 'file': {
        this.ahead.release(item);
        const saved = this.d.files.save(item as PendingFile);
        if (saved instanceof Promise) return saved.then((node) => this.fileSaved(ev, node));
        this.fileSaved(ev, saved);
        break;
      }
      case 'symlink':
        trees.add(ev.name, makeNode(ev.name, 'symlink', ev.st, { target: ev.target, xattrs: this.xattrsOf(ev) }));
        break;
      case 'other':
        trees.add(ev.name, makeNode(ev.name, specialType(ev.st), ev.st, { xattrs: this.xattrsOf(ev) }));
        break;
      case 'error':
        tally.errors.push({ path: pathText(ev.path), message: ev.message });
        trees.add(ev.name, null);
        break;
    }
    return undefined;
  }

  private fileSaved(ev: FileEvent, node: TreeNode | null): void {
    if (node) {
      const xattrs = this.xattrsOf(ev);
      if (xattrs) node.xattrs = xattrs;
    }
    this.d.trees.add(ev.name, node);
    this.d.report(ev.path);
  }

  /** The entry's extended attributes for its node; what could not be read becomes a warning. */
  private xattrsOf(ev: { path: Buffer; xattrs?: Xattr[]; xattrWarning?: string }): Xattr[] | undefined {
    if (ev.xattrWarning) this.d.tally.warnings.push({ path: pathText(ev.path), message: ev.xattrWarning });
    return ev.xattrs;
  }
}

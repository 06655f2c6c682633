/**
 * The target's directories as the restorer walks them: by descriptor, never by a path looked up
 * again. Each directory is opened once, O_DIRECTORY|O_NOFOLLOW, through its parent's descriptor,
 * and its entries are addressed as `/proc/self/fd/<fd>/<name>`: the kernel follows the
 * descriptor's magic link to the directory object itself, not to a path, so a directory of the
 * target renamed, or swapped for a symlink to somewhere outside, while the restore runs cannot
 * redirect a write (Node has no openat; this is the same lookup, one component below an open
 * directory). Only the target itself is resolved by path, once, at the start.
 *
 * A directory stays open while its walk or a file in it is under way (`hold`/`release`); the
 * metadata pass at the end and a hard link to an earlier file open their directories again from
 * the target, one O_NOFOLLOW component at a time (`DirChain`), so a directory replaced meanwhile
 * is refused (PathEscapeError naming it), never followed.
 */
import { close, constants, existsSync, mkdir, open } from 'node:fs';
import { promisify } from 'node:util';
import { EngineError, PathEscapeError, errnoCode } from './errors';
import { childPath } from './walker';

const openFd = promisify(open);
const closeFd = promisify(close);
const mkdirAt = promisify(mkdir);

const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A directory of the target, open. */
export class TargetDir {
  private refs = 1;
  private readonly prefix: Buffer;

  constructor(
    readonly fd: number,
    /** its path as shown in messages and progress (the target's path, then the names) */
    readonly shown: Buffer,
    /** its names below the target ([] for the target itself) */
    readonly parts: readonly Buffer[],
  ) {
    this.prefix = Buffer.from(`/proc/self/fd/${fd}/`);
  }

  /** The path of entry `name` in this directory, resolved through the descriptor. */
  at(name: Buffer): Buffer {
    return Buffer.concat([this.prefix, name]);
  }

  /** The directory itself through its descriptor (`.../.`: calls that do not follow a last symlink still reach it). */
  self(): Buffer {
    return Buffer.concat([this.prefix, Buffer.from('.')]);
  }

  /** The same directory as another process sees it (for a command run on it). */
  forChild(): string {
    return `/proc/${process.pid}/fd/${this.fd}`;
  }

  /** The path of entry `name`, for messages. */
  shownChild(name: Buffer): Buffer {
    return childPath(this.shown, name);
  }

  hold(): void {
    this.refs++;
  }

  /** Drops one hold; the last closes the descriptor. */
  async release(): Promise<void> {
    if (--this.refs === 0) await closeFd(this.fd);
  }
}

/**
 * The target directory, made if missing (with its parents) and opened. It is resolved by path
 * this once; everything below it is reached through its descriptor.
 */
export async function openTarget(path: Buffer): Promise<TargetDir> {
  if (!existsSync('/proc/self/fd')) {
    throw new EngineError(
      'restore walks the target by directory descriptors through /proc/self/fd, which is not there; mount /proc (Linux)',
      'BAD_OPTION',
    );
  }
  await mkdirAt(path, { recursive: true });
  const fd = await openFd(path, constants.O_RDONLY | constants.O_DIRECTORY).catch((err: Error) => {
    if (errnoCode(err) === 'ENOTDIR') throw new PathEscapeError(path.toString(), 'the target is not a directory');
    throw err;
  });
  return new TargetDir(fd, path, []);
}

/** Opens the existing directory `name` in `parent`; a symlink or anything else there is refused. */
export async function openChild(parent: TargetDir, name: Buffer): Promise<TargetDir> {
  const shown = parent.shownChild(name);
  const fd = await openFd(parent.at(name), OPEN_DIR).catch((err: Error) => {
    const code = errnoCode(err);
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      throw new PathEscapeError(
        shown.toString(),
        'the directory was replaced by something else (maybe a symlink) during the restore; nothing was written through it',
      );
    }
    throw err;
  });
  return new TargetDir(fd, shown, [...parent.parts, name]);
}

/**
 * The directory `name` in `parent`, new (mode 0700 until the metadata pass) or from an earlier
 * (interrupted) restore, open; anything else in the way is refused.
 */
export async function makeChild(parent: TargetDir, name: Buffer): Promise<TargetDir> {
  try {
    await mkdirAt(parent.at(name), { mode: 0o700 });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
  return openChild(parent, name).catch((err: unknown) => {
    if (err instanceof PathEscapeError) {
      throw new PathEscapeError(
        parent.shownChild(name).toString(),
        'something that is not a directory (maybe a symlink) is in the way',
      );
    }
    throw err;
  });
}

/**
 * Directories opened again from the target, component by component, keeping the chain open: the
 * directories of a depth-first (post-order) list share most of it, so each opens about once.
 */
export class DirChain {
  private readonly chain: TargetDir[];

  constructor(root: TargetDir) {
    this.chain = [root];
  }

  async open(parts: readonly Buffer[]): Promise<TargetDir> {
    let keep = 1;
    while (
      keep < this.chain.length &&
      keep <= parts.length &&
      this.chain[keep].parts[keep - 1].equals(parts[keep - 1])
    ) {
      keep++;
    }
    while (this.chain.length > keep) await (this.chain.pop() as TargetDir).release();
    while (this.chain.length <= parts.length) {
      const parent = this.chain[this.chain.length - 1];
      this.chain.push(await openChild(parent, parts[this.chain.length - 1]));
    }
    return this.chain[parts.length];
  }

  /** Closes every directory it opened (not the target). */
  async close(): Promise<void> {
    while (this.chain.length > 1) await (this.chain.pop() as TargetDir).release();
  }
}

/**
 * Restoring special files: fifos and char/block devices. Node cannot mknod, so the coreutils
 * commands `mkfifo` and `mknod` create them; these entries are rare enough that a process per
 * entry does not matter. Sockets are not recreated: a socket is made by the program that listens
 * on it, and a file left in its place would only be in that program's way.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { close, constants, fstat, open } from 'node:fs';
import { chmod, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { TreeNode } from './tree';
import type { TargetDir } from './restore-dirs';
import { PathEscapeError, errnoCode } from './errors';

const openFd = promisify(open);
const closeFd = promisify(close);
const fstatFd = promisify(fstat);

/** Why a special node is not restored here, or null when it can be. */
export function specialSkipReason(n: TreeNode, isRoot: boolean): string | null {
  switch (n.type) {
    case 'fifo':
      return null;
    case 'char':
    case 'block':
      if (n.rdevMajor === undefined || n.rdevMinor === undefined) return 'device node without a device number';
      return isRoot ? null : 'device node not restored: creating devices needs root';
    case 'socket':
      return 'socket not restored: the program that listens on it creates it';
    default:
      return 'special file of unrecorded kind (backed up by an older Baton) not restored';
  }
}

/**
 * Creates the fifo or device `n` as `name` in `dir` (mode 0600 until the caller sets metadata),
 * replacing a non-directory left there by an earlier restore. The command gets the directory as
 * its descriptor 3 and a temporary name in it (a UTF-8 path, which a command line needs), renamed
 * into place by name bytes, so names that are not UTF-8 work too and nothing is looked up by the
 * target's path. Returns null when created, or why not (mknod refused, e.g. no CAP_MKNOD in a
 * container).
 */
export async function createSpecial(n: TreeNode, dir: TargetDir, name: Buffer): Promise<string | null> {
  const tmpName = Buffer.from(`.baton-special-${randomBytes(8).toString('hex')}`);
  const tmpText = `/proc/self/fd/3/${tmpName.toString()}`;
  const device = [n.type === 'char' ? 'c' : 'b', String(n.rdevMajor), String(n.rdevMinor)];
  try {
    if (n.type === 'fifo') await runIn(dir, 'mkfifo', ['-m', '600', tmpText]);
    else await runIn(dir, 'mknod', ['-m', '600', tmpText, ...device]);
  } catch (err) {
    return `${n.type === 'fifo' ? 'fifo' : 'device node'} not restored: ${(err as Error).message}`;
  }
  try {
    await rename(dir.at(tmpName), dir.at(name));
  } catch (err) {
    await unlink(dir.at(tmpName)).catch(() => undefined);
    const code = errnoCode(err);
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new PathEscapeError(dir.shownChild(name).toString(), 'a directory is in the way of a special file');
    }
    throw err;
  }
  return null;
}

/** Runs `command` with `dir` as its descriptor 3; rejects with its stderr (or how it failed). */
function runIn(dir: TargetDir, command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', dir.fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(stderr.trim() || `${command} exited with ${signal ?? code}`));
    });
  });
}

/** O_PATH (Linux): a descriptor naming an entry without opening it (no fifo or device is opened). */
const O_PATH = 0o10000000;

/**
 * Sets the mode of the fifo or device at `at` through a descriptor of the entry itself, never
 * following a symlink put in its place (chmod follows one; Linux has no lchmod).
 */
export async function chmodSpecial(at: Buffer, shown: Buffer, mode: number): Promise<void> {
  const fd = await openFd(at, O_PATH | constants.O_NOFOLLOW);
  try {
    const st = await fstatFd(fd);
    if (!st.isFIFO() && !st.isCharacterDevice() && !st.isBlockDevice()) {
      throw new PathEscapeError(
        shown.toString(),
        'the special file was replaced (maybe by a symlink) during the restore',
      );
    }
    await chmod(`/proc/self/fd/${fd}`, mode); // the magic link leads to the entry itself
  } finally {
    await closeFd(fd);
  }
}

/**
 * Restoring special files: fifos and char/block devices. Node cannot mknod, so the coreutils
 * commands `mkfifo` and `mknod` create them; these entries are rare enough that a process per
 * entry does not matter. Sockets are not recreated: a socket is made by the program that listens
 * on it, and a file left in its place would only be in that program's way.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { TreeNode } from './tree';
import { childPath } from './walker';
import { PathEscapeError, errnoCode } from './errors';

const run = promisify(execFile);

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
 * Creates the fifo or device `n` at `path` (mode 0600 until the caller sets metadata), replacing a
 * non-directory left there by an earlier restore. The command gets a temporary name in
 * `scratchDir` (a directory on the same file system whose path is valid UTF-8, which a command
 * line needs), renamed into place by path bytes, so names that are not UTF-8 work too. Returns
 * null when created, or why not (mknod refused, e.g. no CAP_MKNOD in a container).
 */
export async function createSpecial(n: TreeNode, path: Buffer, scratchDir: Buffer): Promise<string | null> {
  const tmp = childPath(scratchDir, Buffer.from(`.baton-special-${randomBytes(8).toString('hex')}`));
  const tmpText = tmp.toString('utf8');
  const device = [n.type === 'char' ? 'c' : 'b', String(n.rdevMajor), String(n.rdevMinor)];
  try {
    if (n.type === 'fifo') await run('mkfifo', ['-m', '600', tmpText]);
    else await run('mknod', ['-m', '600', tmpText, ...device]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return `${n.type === 'fifo' ? 'fifo' : 'device node'} not restored: ${stderr || (err as Error).message}`;
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const code = errnoCode(err);
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new PathEscapeError(path.toString(), 'a directory is in the way of a special file');
    }
    throw err;
  }
  return null;
}

/**
 * What the restorer takes from one tree entry before touching the target: a name that cannot leave
 * its directory (not empty, `.`, `..`, no `/` or NUL, not twice in one directory). Its mtime is
 * file-times.ts's fileTimeOf.
 */
import { PathEscapeError } from './errors';
import { nodeNameBytes } from './tree';
import type { TreeNode } from './tree';

export function checkName(n: TreeNode, parent: string): Buffer {
  const name = nodeNameBytes(n);
  const shown = `${parent}/${n.name}`;
  if (name.length === 0) throw new PathEscapeError(shown, 'empty file name');
  if (name.includes(0x2f)) throw new PathEscapeError(shown, 'the name contains "/"');
  if (name.includes(0)) throw new PathEscapeError(shown, 'the name contains a NUL byte');
  if (name.equals(Buffer.from('.')) || name.equals(Buffer.from('..'))) {
    throw new PathEscapeError(shown, 'the name is "." or ".." and would leave its directory');
  }
  return name;
}

/** One directory's entry names as they are restored: each checked, none twice (byte for byte). */
export class DirNames {
  private readonly seen = new Set<string>();

  /** `shown` is the directory's path inside the snapshot, for messages ('' at the top). */
  constructor(private readonly shown: string) {}

  take(n: TreeNode): Buffer {
    const name = checkName(n, this.shown);
    const key = name.toString('hex');
    if (this.seen.has(key))
      throw new PathEscapeError(`${this.shown}/${n.name}`, 'the name appears twice in one directory');
    this.seen.add(key);
    return name;
  }
}

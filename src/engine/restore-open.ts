/**
 * How the restorer opens a file it is about to write: always a new inode. O_CREAT|O_EXCL|O_NOFOLLOW
 * never opens what is already there; an earlier restore's file (or a hard link someone planted to a
 * file outside the target) is unlinked and the name created afresh, so the other names of that inode
 * are never written to. A symlink or a directory in the way is refused, never followed or removed.
 * The restorer passes paths through its directory's descriptor (restore-dirs.ts), so only the last
 * component is looked up here.
 */
import { constants, lstatSync, openSync, unlinkSync } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PathEscapeError } from './errors';

const OPEN_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function isExists(err: unknown): boolean {
  return (err as { code?: string }).code === 'EEXIST';
}

/** Why what is in the way may not be unlinked, as an errno code the restore pool knows, or null. */
function refusal(st: Stats): 'ELOOP' | 'EISDIR' | null {
  if (st.isSymbolicLink()) return 'ELOOP';
  return st.isDirectory() ? 'EISDIR' : null;
}

const WHY = { ELOOP: 'a symlink is in the way in the target', EISDIR: 'a directory is in the way of a file' };

/** A new file at `path`, open for writing (in a worker thread: errors carry an errno code). */
export function openNewFileSync(path: Buffer): number {
  try {
    return openSync(path, OPEN_NEW, 0o600);
  } catch (err) {
    if (!isExists(err)) throw err;
    const code = refusal(lstatSync(path));
    if (code) throw Object.assign(new Error(WHY[code]), { code });
    unlinkSync(path);
    return openSync(path, OPEN_NEW, 0o600);
  }
}

/** A new file at `path`, open for writing; `shown` names it in errors. */
export async function openNewFile(path: Buffer, shown: Buffer = path): Promise<FileHandle> {
  try {
    return await open(path, OPEN_NEW, 0o600);
  } catch (err) {
    if (!isExists(err)) throw err;
    const code = refusal(await lstat(path));
    if (code) throw new PathEscapeError(shown.toString(), WHY[code]);
    await unlink(path);
    return open(path, OPEN_NEW, 0o600);
  }
}

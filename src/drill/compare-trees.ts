/**
 * Byte-for-byte comparison of two directory trees: same entries (directories, files, symlinks)
 * by relative path, same file contents, same link targets. Returns the first difference as a
 * sentence, or null when the trees are identical.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

async function kindOf(path: string): Promise<'dir' | 'file' | 'symlink' | 'other' | 'missing'> {
  try {
    const st = await lstat(path);
    if (st.isDirectory()) return 'dir';
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isFile()) return 'file';
    return 'other';
  } catch {
    return 'missing';
  }
}

export interface TreeComparison {
  /** null when identical, else the first difference found. */
  difference: string | null;
  files: number;
  bytes: number;
}

export async function compareTrees(expected: string, actual: string): Promise<TreeComparison> {
  let files = 0;
  let bytes = 0;
  const visit = async (rel: string): Promise<string | null> => {
    const a = join(expected, rel);
    const b = join(actual, rel);
    const [ka, kb] = [await kindOf(a), await kindOf(b)];
    const name = rel || '.';
    if (ka !== kb) return `${name} is ${ka} in ${expected} but ${kb} in ${actual}`;
    if (ka === 'symlink') {
      const [ta, tb] = [await readlink(a), await readlink(b)];
      return ta === tb ? null : `symlink ${name} points to ${ta} in ${expected} but to ${tb} in ${actual}`;
    }
    if (ka === 'file') {
      const [da, db] = [await readFile(a), await readFile(b)];
      if (da.length !== db.length) return `${name} has ${da.length} bytes in ${expected} but ${db.length} in ${actual}`;
      if (!da.equals(db)) return `${name} differs in content between ${expected} and ${actual}`;
      files++;
      bytes += da.length;
      return null;
    }
    if (ka !== 'dir') return null;
    const [na, nb] = [(await readdir(a)).sort(), (await readdir(b)).sort()];
    const extra = nb.filter((n) => !na.includes(n));
    if (extra.length > 0) return `${join(name, extra[0])} is in ${actual} but not in ${expected}`;
    for (const n of na) {
      const diff = await visit(join(rel, n));
      if (diff) return diff;
    }
    return null;
  };
  const difference = await visit('');
  return { difference, files, bytes };
}

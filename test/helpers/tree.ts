/** Compares directory trees by relative path and content hash. */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (path: string) => {
    const st = lstatSync(path);
    const rel = relative(root, path) || '.';
    if (st.isDirectory()) {
      out[rel] = 'dir';
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else if (st.isFile()) {
      out[rel] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  visit(root);
  return out;
}

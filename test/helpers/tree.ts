/**
 * The tests' one tree comparison: every name (as bytes), type, content hash, mode, owner (as root),
 * mtime (µs), symlink target and hard-link group of one tree against another's.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

const J = (a: Buffer, b: Buffer): Buffer => Buffer.concat([a, Buffer.from('/'), b]);

interface Seen {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeUs: bigint;
  size: number;
  content?: string;
  target?: string;
  ino: bigint;
  nlink: bigint;
}

function scan(root: Buffer): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const walk = (dir: Buffer, rel: string): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const p = J(dir, name);
      const key = `${rel}/${name.toString('hex')}`;
      const st = lstatSync(p, { bigint: true });
      const s: Seen = {
        type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other',
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtimeUs: st.mtimeNs / 1000n,
        size: st.isFile() ? Number(st.size) : 0,
        ino: st.ino,
        nlink: st.nlink,
      };
      if (s.type === 'file') s.content = createHash('sha256').update(readFileSync(p)).digest('hex');
      if (s.type === 'symlink') s.target = readlinkSync(p, { encoding: 'buffer' }).toString('hex');
      out.set(key, s);
      if (s.type === 'dir') walk(p, key);
    }
  };
  walk(root, '');
  return out;
}

/**
 * Differences between the trees under `a` and `b` (not the roots themselves): names, types,
 * content, modes, owners (only as root, who alone can restore them), mtimes (µs, not of symlinks),
 * link targets, hard links. Equal trees give [], so `assert.deepEqual(compareTrees(a, b), [])`
 * names every difference when it fails.
 */
export function compareTrees(a: string, b: string): string[] {
  const sa = scan(Buffer.from(a));
  const sb = scan(Buffer.from(b));
  const diffs: string[] = [];
  for (const [k, x] of sa) {
    const y = sb.get(k);
    if (!y) {
      diffs.push(`missing ${k}`);
      continue;
    }
    // owners can only be restored by root
    const fields = ['type', 'mode', 'uid', 'gid', 'size', 'content', 'target'] as const;
    for (const f of fields.filter((x) => process.getuid?.() === 0 || (x !== 'uid' && x !== 'gid'))) {
      if (x[f] !== y[f]) diffs.push(`${k}: ${f} ${String(x[f])} != ${String(y[f])}`);
    }
    if (x.type !== 'symlink' && x.mtimeUs !== y.mtimeUs) diffs.push(`${k}: mtime ${x.mtimeUs} != ${y.mtimeUs}`);
    if (x.type === 'file' && x.nlink > 1n) {
      const groupA = [...sa]
        .filter(([, v]) => v.ino === x.ino)
        .map(([n]) => n)
        .sort();
      const groupB = [...sb]
        .filter(([, v]) => v.ino === y.ino)
        .map(([n]) => n)
        .sort();
      if (groupA.join() !== groupB.join()) diffs.push(`${k}: hard links ${groupA.join()} != ${groupB.join()}`);
    }
  }
  for (const k of sb.keys()) if (!sa.has(k)) diffs.push(`extra ${k}`);
  return diffs;
}

/**
 * Tree nodes and tree blobs: a directory listing as canonical JSON (fixed key order, nodes sorted
 * by raw name bytes), so equal directories always give equal tree IDs. Names and symlink targets
 * that are not valid UTF-8 are kept byte-exact in base64 (`rawName`, `rawTarget`).
 */
import type { BigIntStats } from 'node:fs';
import { EngineError } from './errors';

export type NodeType = 'file' | 'dir' | 'symlink' | 'other';

export interface TreeNode {
  name: string;
  rawName?: string;
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: string;
  size?: number;
  inode?: string;
  links?: number;
  content?: string[];
  subtree?: string;
  target?: string;
  rawTarget?: string;
}

export interface Tree {
  nodes: TreeNode[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A string for the bytes, plus base64 of the bytes when they are not valid UTF-8. */
export function nameFields(raw: Buffer): { text: string; raw?: string } {
  try {
    return { text: decoder.decode(raw) };
  } catch {
    return { text: raw.toString('latin1'), raw: raw.toString('base64') };
  }
}

export function nodeNameBytes(n: { name: string; rawName?: string }): Buffer {
  return n.rawName !== undefined ? Buffer.from(n.rawName, 'base64') : Buffer.from(n.name, 'utf8');
}

export function symlinkTargetBytes(n: TreeNode): Buffer {
  return n.rawTarget !== undefined ? Buffer.from(n.rawTarget, 'base64') : Buffer.from(n.target ?? '', 'utf8');
}

/** Builds a node in canonical key order from lstat results. */
export function makeNode(
  nameRaw: Buffer,
  type: NodeType,
  st: BigIntStats,
  extra: { size?: number; content?: string[]; subtree?: string; target?: Buffer } = {},
): TreeNode {
  const nf = nameFields(nameRaw);
  const n: TreeNode = { name: nf.text } as TreeNode;
  if (nf.raw !== undefined) n.rawName = nf.raw;
  n.type = type;
  n.mode = Number(st.mode & 0o7777n);
  n.uid = Number(st.uid);
  n.gid = Number(st.gid);
  n.mtimeNs = st.mtimeNs.toString();
  if (type === 'file') {
    n.size = extra.size ?? Number(st.size);
    if (st.nlink > 1n) {
      n.inode = st.ino.toString();
      n.links = Number(st.nlink);
    }
    n.content = extra.content ?? [];
  }
  if (type === 'dir') n.subtree = extra.subtree;
  if (type === 'symlink' && extra.target) {
    const tf = nameFields(extra.target);
    n.target = tf.text;
    if (tf.raw !== undefined) n.rawTarget = tf.raw;
  }
  return n;
}

export function encodeTree(nodes: TreeNode[]): Buffer {
  return Buffer.from(JSON.stringify({ nodes }));
}

/** Parses a tree blob and checks the invariants the restorer relies on. */
export function decodeTree(data: Buffer, id: string): Tree {
  let t: Tree;
  try {
    t = JSON.parse(data.toString('utf8')) as Tree;
  } catch {
    throw new EngineError(`tree ${id} is not valid JSON; run \`baton repo verify\``, 'CORRUPT');
  }
  if (!Array.isArray(t.nodes)) throw new EngineError(`tree ${id} has no node list`, 'CORRUPT');
  return t;
}

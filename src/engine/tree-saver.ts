/**
 * The walk's open directories, innermost last, each with its finished entries. Leaving a directory
 * stores its tree blob and adds its node to the parent. The stack is also the walk position that a
 * checkpoint records and a resume starts from.
 */
import { encodeBlob } from './blob';
import { blobAad } from './config';
import type { CheckpointFrame } from './checkpoint';
import { blobId } from './hash';
import type { PackWriter } from './pack-writer';
import { encodeTree } from './tree';
import type { TreeNode } from './tree';
import type { UsedPacks } from './used-packs';

export interface Frame {
  name: Buffer | null;
  node: TreeNode | null;
  nodes: TreeNode[];
  /** last entry handled in this directory (the walk cursor at this level) */
  last?: Buffer;
}

/** A directory frame as a checkpoint recorded it, its partial tree blob already read back. */
export function resumedFrame(name: Buffer | null, f: CheckpointFrame): Frame {
  return {
    name,
    node: f.node,
    nodes: [...f.nodes],
    last: f.last !== undefined ? Buffer.from(f.last, 'hex') : undefined,
  };
}

export class TreeSaver {
  readonly frames: Frame[];

  constructor(
    private readonly writer: PackWriter,
    private readonly used: UsedPacks,
    /** the root frame of the checkpoint resumed from */
    root?: CheckpointFrame,
  ) {
    this.frames = [root ? { ...resumedFrame(null, root), node: null } : { name: null, node: null, nodes: [] }];
  }

  /** The innermost open directory. */
  get top(): Frame {
    return this.frames[this.frames.length - 1];
  }

  /** Stores the tree blob of `nodes` (unless the backup has it already) and returns its ID. */
  async save(nodes: TreeNode[]): Promise<string> {
    const plain = encodeTree(nodes);
    const id = blobId(this.writer.drive.ids.idKey, plain);
    this.used.use(id);
    if (!this.writer.has(id)) {
      const drive = this.writer.drive;
      await this.writer.add(
        'tree',
        encodeBlob(drive.key, plain, id, drive.compressionLevel, blobAad(drive.config.version, 'tree', id)),
      );
    }
    return id;
  }

  enter(frame: Frame): void {
    this.frames.push(frame);
  }

  /** Closes the innermost directory: stores its tree and adds its node to the parent. */
  async leave(): Promise<void> {
    const f = this.frames.pop() as Frame;
    const node = f.node as TreeNode;
    node.subtree = await this.save(f.nodes);
    this.top.nodes.push(node);
    this.top.last = f.name ?? undefined;
  }

  /** Records an entry handled in the innermost directory; `node` is null for one skipped with an error. */
  add(name: Buffer, node: TreeNode | null): void {
    const top = this.top;
    if (node) top.nodes.push(node);
    top.last = name;
  }

  /** Stores the root tree, once the walk is done. */
  saveRoot(): Promise<string> {
    return this.save(this.frames[0].nodes);
  }
}

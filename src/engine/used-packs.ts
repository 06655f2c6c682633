/**
 * The packs a backup uses, per drive: those holding blobs it found already stored, and every pack
 * it writes (a blob not yet in a written pack is queued for one of them). Checkpoints and the
 * snapshot list them, so prune keeps them.
 */
import type { CheckpointDrive } from './checkpoint';
import type { Drive } from './drive';
import type { BlobIndex } from './index-file';

type UsedPack = { drive: Drive; pack: { id: string } };

export class UsedPacks {
  private readonly byDrive: Map<string, Set<string>>;
  /** packs of blobs found stored, not yet listed */
  private readonly found = new Set<UsedPack>();

  constructor(
    private readonly index: Pick<BlobIndex, 'packOf' | 'packAt'>,
    private readonly writer: { readonly written: UsedPack[] },
    /** the checkpoint's drives; resolve() rewrites their pack lists */
    private readonly drives: CheckpointDrive[],
  ) {
    this.byDrive = new Map(drives.map((d) => [d.id, new Set(d.packs)]));
  }

  /** Notes that the backup uses blob `id` (a blob only queued has no pack yet: writer.written covers it). */
  use(id: string): void {
    const p = this.index.packOf(id);
    if (p) this.found.add(p);
  }

  /** `use` for a blob known by its index entry (one in a written pack: a file cache's chunk). */
  useEntry(e: number): void {
    this.found.add(this.index.packAt(e));
  }

  /** Lists the used packs per drive in the checkpoint's drives; after a flush, so all are durable. */
  resolve(): void {
    for (const p of [...this.found, ...this.writer.written]) {
      let set = this.byDrive.get(p.drive.id);
      if (!set) this.byDrive.set(p.drive.id, (set = new Set()));
      set.add(p.pack.id);
    }
    this.found.clear();
    for (const d of this.drives) d.packs = [...(this.byDrive.get(d.id) ?? [])].sort();
  }
}

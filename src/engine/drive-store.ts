/** The narrow interface a drive kind implements to store packs, and where a pack lives. */

export interface PackLocation {
  id: string;
  length: number;
  /** tape kind only: volume number (1-based) and byte offset of the pack in it */
  volume?: number;
  offset?: number;
}

/** A pack as the drive lists it, with its file's modification time (prune's grace window) */
export interface ListedPack extends PackLocation {
  mtimeMs: number;
}

export interface WrittenPack {
  location: PackLocation;
  /** true when this pack started a new volume (tape kind) */
  newVolume: boolean;
}

export interface PackStore {
  /**
   * Writes a whole pack. It is durable (fsynced, in place) once `sync()` has resolved after it;
   * nothing may reference it before. Throws DriveFullError when full.
   */
  writePack(id: string, parts: Buffer[], length: number): Promise<WrittenPack>;
  /** Resolves when every pack written so far is durable; throws the first write error. */
  sync(): Promise<void>;
  readPack(loc: PackLocation, offset: number, length: number): Promise<Buffer>;
  /** The file holding the pack and the pack's offset in it (for readers that keep files open). */
  packFile(loc: PackLocation): { file: string; offset: number };
  /** Stored size of the pack, or null when it is missing. */
  packSize(loc: PackLocation): Promise<number | null>;
  /** Removes a pack; false when the kind cannot reclaim space (tape) or it was gone. */
  deletePack(loc: PackLocation): Promise<boolean>;
  /** Packs found on the drive itself (directory kind); tape kinds list none (they are found via the index). */
  listPacks(): Promise<ListedPack[]>;
  readonly appendOnly: boolean;
}

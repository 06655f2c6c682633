/**
 * Content of files with several links, by device and inode, until every link was seen: a file's
 * other links reuse it instead of reading the file again.
 */
import type { EntryStats } from './entry-stats';

export class Hardlinks {
  private readonly content = new Map<string, { content: string[]; left: bigint }>();

  /** The content stored for another link of this file (forgotten at its last link), if any. */
  seen(st: EntryStats): string[] | undefined {
    if (st.nlink <= 1n) return undefined;
    const key = `${st.dev.toString()}:${st.ino.toString()}`;
    const link = this.content.get(key);
    if (link && --link.left === 0n) this.content.delete(key);
    return link?.content;
  }

  /** Keeps the content of a file with several links for its other links. */
  stored(st: EntryStats, content: string[]): void {
    if (st.nlink > 1n) this.content.set(`${st.dev.toString()}:${st.ino.toString()}`, { content, left: st.nlink - 1n });
  }
}

/**
 * Temp directories for tests, removed when the test file's process exits (node --test runs each
 * file in its own process), whether its tests passed or not, so test runs do not fill /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.on('exit', () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a process a failed test left running may still hold it; nothing more to do at exit
    }
  }
});

/** A new directory under the system temp dir, named `<prefix>XXXXXX`. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

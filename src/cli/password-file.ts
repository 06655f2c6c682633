/**
 * A passphrase kept in a file (`--password-file`, `--new-password-file`): its text with one trailing
 * newline dropped, as `echo secret > file` leaves it. Every reader of such a file goes through here,
 * so they all derive the same key from it.
 */
import { readFileSync } from 'node:fs';

/** The passphrase in `path`; throws what reading it throws. */
export function readPasswordFile(path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

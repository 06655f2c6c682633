/**
 * Paths inside a snapshot, as a restore takes them: relative, clean, no `..`. `label` names them in
 * an error (`--path` in the CLI, `path` from code).
 */
import { normalize } from 'node:path/posix';
import { UserError } from '../model/errors';

/** A file or directory inside a snapshot, as the engine takes it; null: the whole snapshot. */
export function snapshotPathOf(path: string, label = 'path'): string | null {
  const clean = normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
  if (clean === '' || clean === '.') return null;
  if (clean.split('/').includes('..')) {
    throw new UserError(`${label} ${path} leaves the snapshot; name a directory inside it, e.g. data/tables`);
  }
  return clean;
}

/** Every path given, cleaned and without repeats; empty when none (or one naming the whole snapshot). */
export function snapshotPaths(paths: string[], label = 'path'): string[] {
  const clean = paths.map((p) => snapshotPathOf(p, label));
  if (clean.includes(null)) return [];
  return [...new Set(clean as string[])];
}

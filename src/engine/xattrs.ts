/**
 * Extended attributes, read at backup and set at restore. POSIX ACLs are covered by them: Linux
 * keeps a file's ACL in the xattr `system.posix_acl_access` and a directory's default ACL in
 * `system.posix_acl_default`, so storing every xattr's name and value stores the ACLs.
 *
 * @napi-rs/xattr calls llistxattr, lgetxattr and lsetxattr: a symlink's own attributes are read
 * and set, never those of what it points to. It takes paths as JavaScript strings, so an entry
 * whose path is not valid UTF-8 cannot be addressed; its attributes are left out (documented in
 * docs/engine.md).
 */
import { isUtf8 } from 'node:buffer';
import { constants } from 'node:os';
import type * as Xattrs from '@napi-rs/xattr';
import { napiPackage } from './native';

const { getAttributeSync, listAttributesSync, setAttribute } = napiPackage<typeof Xattrs>('@napi-rs/xattr');

/** One extended attribute as a tree node stores it: the value in base64 (values are binary). */
export interface Xattr {
  name: string;
  value: string;
}

/** The path as the xattr library needs it, or null when it is not valid UTF-8. */
function pathText(path: Buffer): string | null {
  return isUtf8(path) ? path.toString('utf8') : null;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** The errno name of a library error ("No such file or directory (os error 2)" -> ENOENT). */
export function xattrErrno(err: unknown): string | undefined {
  const m = /\(os error (\d+)\)/.exec(err instanceof Error ? err.message : String(err));
  return m ? ERRNO_NAMES.get(Number(m[1])) : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The extended attributes of `path` (not following a symlink), sorted by name bytes so equal
 * files give equal tree nodes. `xattrs` is absent when there are none, which one llistxattr call
 * finds: that is all an entry without attributes costs. Synchronous, as the walk's lstat calls
 * are: about 2 µs of CPU per entry on a local file system, where the thread-pool variant cost
 * about 5 µs (measured on 100,000 files: docs/engine.md). `warning` says what could not be read.
 */
export function readXattrs(path: Buffer): { xattrs?: Xattr[]; warning?: string } {
  const text = pathText(path);
  if (text === null) return {};
  let names: string[];
  try {
    names = listAttributesSync(text);
  } catch (err) {
    const code = xattrErrno(err);
    // no xattr support on this file system, or the entry went away (the walk reports that)
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOENT') return {};
    return { warning: `extended attributes not read: ${describe(err)}` };
  }
  if (names.length === 0) return {};
  const out: Xattr[] = [];
  const problems: string[] = [];
  for (const name of names) {
    // the library decodes names lossily; such a name cannot be read back, nor set again
    if (name.includes('\ufffd')) {
      problems.push(`a name that is not valid UTF-8 (${name})`);
      continue;
    }
    try {
      const value = getAttributeSync(text, name);
      if (value !== null) out.push({ name, value: value.toString('base64') }); // null: removed since listed
    } catch (err) {
      problems.push(`${name}: ${describe(err)}`);
    }
  }
  out.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return {
    xattrs: out.length > 0 ? out : undefined,
    warning: problems.length > 0 ? `extended attributes not read: ${problems.join('; ')}` : undefined,
  };
}

/**
 * Sets recorded attributes on `path` (a symlink itself, not its target). Attributes already there
 * and not recorded are left alone. Nothing here fails a restore: an attribute the process may not
 * set (`security.*` and `trusted.*` need privileges) or the file system does not take is
 * returned as a warning.
 */
export async function applyXattrs(path: Buffer, xattrs: Xattr[]): Promise<string[]> {
  const text = pathText(path);
  if (text === null) return ['extended attributes not restored: the path is not valid UTF-8'];
  const warnings: string[] = [];
  for (const x of xattrs) {
    try {
      await setAttribute(text, x.name, Buffer.from(x.value, 'base64'));
    } catch (err) {
      const code = xattrErrno(err);
      const why =
        code === 'EPERM' || code === 'EACCES'
          ? 'not permitted for this user'
          : code === 'ENOTSUP' || code === 'EOPNOTSUPP'
            ? 'not supported by the target file system'
            : describe(err);
      warnings.push(`extended attribute ${x.name} not restored: ${why}`);
    }
  }
  return warnings;
}

/**
 * The paths a node lets the coordinator's plan make it read and write: an app's data paths and a
 * drive's path must lie under one of the roots its own baton.yaml allows (nodes[].allowedRoots).
 * The plan reaches a node from the coordinator (`baton apply` from any host that reaches
 * Temporal), so the node checks it against its own config, in the activity, before it touches
 * anything. Paths compare after resolving symbolic links, so a link under a root that points
 * elsewhere does not pass.
 */
import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { failure } from './failure';

export interface AllowedRoots {
  roots: string[];
  /** Where they come from, for the failure: `nodes[].allowedRoots of n1 in /etc/baton/baton.yaml`. */
  setting: string;
}

/** The path with its links resolved, or as written when it does not exist (yet). */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function under(path: string, root: string): boolean {
  const p = real(path);
  const r = real(root);
  return p === r || p.startsWith(r.endsWith(sep) ? r : r + sep);
}

/** The paths of `paths` under none of the roots. */
export function pathsOutside(paths: readonly string[], roots: readonly string[]): string[] {
  return paths.filter((p) => !roots.some((r) => under(p, r)));
}

/**
 * Throws a non-retryable PathNotAllowed failure naming the first path outside the node's roots
 * (`what` says whose path it is: `app db's data path`, `drive d1's path`). No roots given: no check.
 */
export function checkAllowedPaths(
  allowed: AllowedRoots | undefined,
  node: string,
  what: string,
  paths: readonly string[],
): void {
  if (!allowed) return;
  const [outside] = pathsOutside(paths, allowed.roots);
  if (outside === undefined) return;
  throw failure(
    `${what} ${outside} is outside the roots node ${node} allows (${allowed.roots.join(', ')}: ${allowed.setting}); ` +
      `node ${node} refuses it. Add a root that holds it to nodes[].allowedRoots in the node's own config and restart the node, or fix the path in the plan`,
    'PathNotAllowed',
  );
}

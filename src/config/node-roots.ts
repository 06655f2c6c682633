/**
 * The directories a node lets the coordinator's plan point it at (src/activities/allowed-roots.ts
 * checks them): its nodes[].allowedRoots in the node's own baton.yaml. Unset, the node takes the
 * plan's paths as they come (docs/config.md says why that is the default).
 */
import type { BatonConfig } from './load';

export function nodeAllowedRoots(config: BatonConfig, node: string): { roots: string[]; setting: string } | undefined {
  const roots = config.allowedRoots[node];
  return roots ? { roots, setting: `nodes[].allowedRoots of ${node} in ${config.file}` } : undefined;
}

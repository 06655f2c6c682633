/** Where the prebuilt workflow bundle lives, and the worker option that uses it. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** dist/workflow-bundle.js, written by `npm run build`. */
export const WORKFLOW_BUNDLE_PATH = resolve(__dirname, '..', '..', 'workflow-bundle.js');

/** The prebuilt bundle when there is one, else the workflow sources (bundled at worker start). */
export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (existsSync(WORKFLOW_BUNDLE_PATH)) return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  return { workflowsPath: require.resolve('../workflows') };
}

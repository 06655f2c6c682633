/** Bundles src/workflows once at build time, so node processes start without running webpack. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WORKFLOW_BUNDLE_PATH } from '../src/workers/workflow-bundle';

async function main() {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    logger: {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: console.warn,
      error: console.error,
      log: () => {},
    },
  });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  console.log(`workflow bundle: ${resolve(WORKFLOW_BUNDLE_PATH)} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * Restores an app's latest snapshot into a directory (on the node hosting the app) and prints what
 * was restored.
 * Run: node dist/examples/restore-snapshot.js <app> <target-dir> [baton.yaml]
 */
import { BatonClient, UserError } from 'baton';

async function main(app: string, target: string, config?: string): Promise<void> {
  const baton = await BatonClient.connect({ config });
  try {
    const restore = await baton.restore(app, { target });
    const from = restore.accepted;
    console.log(`started ${restore.id}: snapshot ${from?.snapshotId} from drive ${from?.drive} on ${from?.node}`);
    const result = await restore.result();
    const r = result.restore;
    if (result.state !== 'succeeded' || !r) throw new UserError(result.error ?? `${result.jobId} ${result.state}`);
    console.log(`restored ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes into ${r.target} on ${r.node}`);
  } finally {
    await baton.close();
  }
}

const [app, target, config] = process.argv.slice(2);
if (!app || !target) {
  console.error('usage: node dist/examples/restore-snapshot.js <app> <target-dir> [baton.yaml]');
  process.exitCode = 2;
} else {
  main(app, target, config).catch((err: Error) => {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  });
}

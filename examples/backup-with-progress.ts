/**
 * Backs up one app and prints its progress until it ends.
 * Run: node dist/examples/backup-with-progress.js <app> [baton.yaml]
 */
import { BatonClient } from 'baton';

async function main(app: string, config?: string): Promise<void> {
  const baton = await BatonClient.connect({ config });
  try {
    const job = await baton.backup(app);
    console.log(`started ${job.id} on ${job.started.node}`);
    // One live view about every second while the job runs.
    for await (const view of job.progress()) {
      const p = view.progress;
      console.log(`${view.state}: ${p ? `${p.files} files, ${p.bytes} bytes` : 'waiting for the node'}`);
    }
    const result = await job.result();
    console.log(`${result.jobId} ${result.state}: snapshot ${result.outcome?.snapshotId ?? 'none'}`);
  } finally {
    await baton.close();
  }
}

main(process.argv[2] ?? 'files', process.argv[3]).catch((err: Error) => {
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
});

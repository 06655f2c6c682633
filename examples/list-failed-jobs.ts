/**
 * Lists the cluster's failed jobs, newest first.
 * Run: node dist/examples/list-failed-jobs.js [baton.yaml]
 */
import { BatonClient } from 'baton';

async function main(config?: string): Promise<void> {
  const baton = await BatonClient.connect({ config });
  try {
    const failed = await baton.jobs({ state: 'failed', limit: 50 });
    console.log(`${failed.length} failed job(s)`);
    for (const job of failed) console.log(`${job.id} ${job.app} on ${job.node}: ${job.error ?? '(no error recorded)'}`);
  } finally {
    await baton.close();
  }
}

main(process.argv[2]).catch((err: Error) => {
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
});

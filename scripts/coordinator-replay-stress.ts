/**
 * Replays the coordinator's live histories after a stress, the way a node that takes the
 * coordinator over replays them: `baton demo` to its first backup, then for 40 s a backup request
 * every 200 ms (the two demo apps in turn) while a client asks the coordinator's status every 5 ms,
 * then every run of the coordinator replayed against today's workflow bundle. A run that fails
 * replay is the one a failover would leave stuck; its history is written to the output directory.
 * docs/development.md says what it found (a local activity's result delivered a task late, a
 * hand-over begun in a task no event records) and how the coordinator avoids both now.
 *
 *   npm run build && node dist/scripts/coordinator-replay-stress.js [demos (default 3)] [--no-queries] [--out DIR]
 *
 * Exits 1 when a run does not replay. A demo takes about a minute; the suite runs a 20 s version
 * (test/integration/coordinator-replays-under-load.test.ts).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connect } from '../src/client/connect';
import { loadConfig } from '../src/config/load';
import { DEMO_APP, DEMO_CLUSTER, DRILL_APP } from '../src/demo/demo-files';
import { coordinatorWorkflowId } from '../src/model/names';
import { stressCoordinator } from '../test/helpers/coordinator-stress';
import { DemoProcess } from '../test/helpers/demo-process';
import { replayLiveHistories } from '../test/helpers/replay-live';

const STRESS_MS = 40_000;

async function stressOnce(index: number, queries: boolean, out: string): Promise<{ runs: number; failed: number }> {
  const demo = new DemoProcess('replay-stress');
  try {
    await demo.firstBackup();
    const config = loadConfig(demo.configFile);
    const { client, close } = await connect(config);
    try {
      const workflowId = coordinatorWorkflowId(DEMO_CLUSTER);
      const { requests, refused } = await stressCoordinator(client, DEMO_CLUSTER, [DRILL_APP, DEMO_APP], STRESS_MS, {
        queries,
      });
      const { replayed, failures } = await replayLiveHistories(config.temporal.address, config.temporal.namespace, {
        query: `WorkflowId = '${workflowId}'`,
        keep: out,
      });
      for (const f of failures)
        console.log(`demo ${index}: run ${f.runId} does not replay (kept in ${out}): ${f.error}`);
      console.log(
        `demo ${index}: ${failures.length} of ${replayed} runs do not replay; ${requests} requests (${refused} refused)`,
      );
      return { runs: replayed, failed: failures.length };
    } finally {
      await close();
    }
  } finally {
    await demo.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const queries = !args.includes('--no-queries');
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : join(tmpdir(), 'baton-replay-stress');
  const demos = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
  mkdirSync(out, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let runs = 0;
  let failed = 0;
  for (let i = 0; i < demos; i++) {
    const r = await stressOnce(i, queries, out);
    runs += r.runs;
    failed += r.failed;
  }
  console.log(
    `${failed} of ${runs} coordinator runs do not replay (${demos} demos, queries ${queries ? 'on' : 'off'})`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});

/**
 * Several processes asking the coordinator for backups at once, as several scripts over every app
 * would: each a separate `node` process with its own client (connect.ts, as the CLI connects),
 * sending all its requests at once. Run as a script, it is one such process:
 *   node dist/test/helpers/update-burst.js <baton.yaml> <requests>
 * and prints one JSON line: what became of its requests, and its window of coordinator updates
 * (update-admission.ts) at the end.
 */
import { spawn } from 'node:child_process';
import { loadConfig } from '../../src/config/load';
import { connect } from '../../src/client/connect';
import { requestBackup } from '../../src/client/coordinator-client';
import { coordinatorUpdates } from '../../src/client/update-admission';
import { DEMO_APP, DRILL_APP } from '../../src/demo/demo-files';

const BUSY = /already has a backup running/;

export interface BurstProcess {
  /** the jobs of the requests accepted */
  jobs: string[];
  /** refused because the app already had a backup running: an answer */
  busy: number;
  /** refused otherwise: the first few reasons */
  other: string[];
  window: number;
}

/** `processes` processes, each sending `requests` backup requests at once; resolves with each one's outcome. */
export function burstFromProcesses(configFile: string, processes: number, requests: number): Promise<BurstProcess[]> {
  return Promise.all(
    Array.from(
      { length: processes },
      () =>
        new Promise<BurstProcess>((resolve, reject) => {
          const child = spawn(process.execPath, [__filename, configFile, String(requests)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out) as BurstProcess) : reject(new Error(`burst process exited ${code}`)),
          );
        }),
    ),
  );
}

async function main(): Promise<void> {
  const [configFile, requests] = process.argv.slice(2);
  const config = loadConfig(configFile);
  const { client, close } = await connect(config);
  const outcomes = await Promise.allSettled(
    Array.from({ length: Number(requests) }, (_, i) =>
      requestBackup(client, config.cluster, i % 2 ? DRILL_APP : DEMO_APP, `burst-${process.pid}-${i}`),
    ),
  );
  const jobs = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.jobId] : []));
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason).split('\n')[0]] : []));
  const result: BurstProcess = {
    jobs,
    busy: refused.filter((why) => BUSY.test(why)).length,
    other: refused.filter((why) => !BUSY.test(why)).slice(0, 3),
    window: coordinatorUpdates.limit,
  };
  process.stdout.write(JSON.stringify(result));
  await close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

/**
 * `baton restore-test run <app>` (a restore test now, on the app's host; with --wait, its verdict)
 * and `baton restore-tests [<app>]` (the latest results, from the catalog).
 */
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { BatonClient } from '../client/baton-client';
import { UserError } from '../model/errors';
import { formatBytes, shortId } from '../model/format';
import { parseSample, type SampleSpec } from '../model/restore-test';
import { formatTable } from './table';

function sampleOption(value: string | undefined): SampleSpec | undefined {
  if (value === undefined) return undefined;
  const parsed = parseSample(value);
  if ('problem' in parsed) throw new UserError(`--sample ${value} ${parsed.problem}`);
  return parsed.sample;
}

interface RunOptions {
  config?: string;
  wait?: boolean;
  sample?: string;
  json?: boolean;
}

function runCommand(): Command {
  return new Command('run')
    .description("restore the app's latest snapshot (or a sample) into scratch space on its host and compare it")
    .argument('<app>', 'the app, as named in the config')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option(
      '--sample <n>',
      "files to restore: a number (100), a fraction (0.1) or a percentage (10%); default: the app's restoreTest.sample, else all",
    )
    .option('--wait', 'wait for the verdict; exit 1 when the test failed')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: RunOptions) => {
      const baton = await BatonClient.connect({ config: opts.config });
      const sample = sampleOption(opts.sample);
      try {
        const test = await baton.restoreTest(name, { sample, requestedBy: `cli:${userInfo().username}` });
        if (!opts.wait) {
          console.log(opts.json ? JSON.stringify({ runId: test.id }) : `started ${test.id}`);
          return;
        }
        if (!opts.json) console.log(`started ${test.id}`);
        const r = await test.result();
        if (opts.json) console.log(JSON.stringify(r));
        else (r.state === 'succeeded' ? console.log : console.error)(r.message);
        if (r.state !== 'succeeded') process.exitCode = 1;
      } finally {
        await baton.close();
      }
    });
}

export function restoreTestCommand(): Command {
  return new Command('restore-test')
    .description('restore tests: restore a snapshot into scratch space and compare it with the snapshot')
    .addCommand(runCommand());
}

export function restoreTestsCommand(): Command {
  return new Command('restore-tests')
    .description('list the latest restore-test results, newest first, from the catalog')
    .argument('[app]', 'only this app')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--limit <n>', 'how many (default 20)', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { config?: string; json?: boolean; limit?: number }) => {
      if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) {
        throw new UserError('--limit must be a positive whole number, e.g. --limit 50');
      }
      const baton = await BatonClient.connect({ config: opts.config });
      const rows = await baton.restoreTests({ app: name, limit: opts.limit });
      const list = rows.map((r) => ({
        runId: r.id,
        time: r.started_at,
        finished: r.finished_at,
        app: r.app,
        node: r.node,
        snapshot: r.snapshot_id,
        sample: r.sample === null ? null : (JSON.parse(r.sample) as SampleSpec),
        seed: r.seed,
        files: r.files,
        bytes: r.bytes,
        outcome: r.state,
        path: r.path,
        message: r.message,
      }));
      if (opts.json) {
        console.log(JSON.stringify(list));
        return;
      }
      if (list.length === 0) {
        console.log(
          `no restore test recorded${name ? ` for app ${name}` : ''}; run one with \`baton restore-test run <app> --wait\``,
        );
        return;
      }
      const table = list.map((t) => [
        t.time,
        t.app,
        t.node || '-',
        t.snapshot ? shortId(t.snapshot) : '-',
        t.files === null ? '-' : String(t.files),
        t.bytes === null ? '-' : formatBytes(t.bytes),
        t.outcome,
        t.message,
      ]);
      console.log(formatTable(['TIME', 'APP', 'NODE', 'SNAPSHOT', 'FILES', 'BYTES', 'OUTCOME', 'MESSAGE'], table));
    });
}

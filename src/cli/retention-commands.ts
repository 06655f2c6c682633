/**
 * `baton snapshots <app>` (an app's snapshots across drives, from the catalog) and `baton retention
 * run <app>` (a retention job now on every drive holding the app's snapshots, followed to its end).
 */
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { BatonClient } from '../client/baton-client';
import { retentionResult, startRetention } from '../client/retention-client';
import { loadConfig, type BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import { formatBytes, shortId } from '../model/format';
import type { AppSpec } from '../model/plan';
import { describeKeep, retentionEndMessage } from '../model/retention';
import { formatTable } from './table';

function appOf(config: BatonConfig, name: string): AppSpec {
  const app = config.plan.apps.find((a) => a.name === name);
  if (!app) {
    throw new UserError(
      `unknown app "${name}"; apps in ${config.file}: ${config.plan.apps.map((a) => a.name).join(', ') || 'none'}`,
    );
  }
  return app;
}

export function snapshotsCommand(): Command {
  return new Command('snapshots')
    .description("list an app's snapshots on every drive, newest first, from the catalog (forgotten ones are gone)")
    .argument('<app>', 'the app, as named in the config')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config);
      const app = appOf(config, name);
      // the client reads only the catalog here: it lists snapshots while Temporal is down
      const baton = await BatonClient.connect({ config });
      const rows = await baton.snapshots(app.name).finally(() => baton.close());
      const list = rows.map((r) => ({
        id: r.id,
        time: r.at,
        drive: r.drive,
        node: r.node,
        bytes: Number(r.bytes),
        files: Number(r.files),
        incomplete: Number(r.incomplete) === 1,
        jobId: r.job_id,
      }));
      if (opts.json) {
        console.log(JSON.stringify(list));
        return;
      }
      if (list.length === 0) {
        console.log(`app ${app.name} has no snapshot in the catalog; back it up with \`baton backup ${app.name}\``);
        return;
      }
      const table = list.map((s) => [
        s.time,
        shortId(s.id) + (s.incomplete ? ' (incomplete)' : ''),
        s.drive,
        s.node ?? '?',
        formatBytes(s.bytes),
        String(s.files),
      ]);
      console.log(formatTable(['TIME', 'ID', 'DRIVE', 'NODE', 'SIZE', 'FILES'], table));
      if (app.keep) console.log(`keep: ${describeKeep(app.keep)} per drive`);
    });
}

function retentionRunCommand(): Command {
  return new Command('run')
    .description("apply an app's keep policy now on every drive holding its snapshots, and wait for the result")
    .argument('<app>', 'the app, as named in the config')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config);
      const app = appOf(config, name);
      const keep = app.keep;
      if (!keep) {
        throw new UserError(
          `app "${app.name}" has no keep policy in ${config.file}, so it keeps every snapshot; ` +
            'add one under the app, e.g. keep: {last: 7, daily: 14}',
        );
      }
      const baton = await BatonClient.connect({ config });
      try {
        const drives = (await baton.snapshots(app.name)).map((r) => r.drive);
        const specs = config.plan.drives.filter((d) => drives.includes(d.name));
        if (specs.length === 0) {
          console.log(
            opts.json ? '[]' : `app ${app.name} has no snapshot on any drive of ${config.file}; nothing to do`,
          );
          return;
        }
        const client = await baton.temporal();
        const by = `cli:${userInfo().username}`;
        const ids = [];
        for (const d of specs) ids.push(await startRetention(client, config, d, [{ app: app.name, keep }], by));
        if (!opts.json) for (const id of ids) console.log(`started ${id}`);
        const results = await Promise.all(ids.map((id) => retentionResult(client, id)));
        if (opts.json) console.log(JSON.stringify(results));
        for (const r of results) {
          if (r.state !== 'succeeded') process.exitCode = 1;
          if (!opts.json)
            (r.state === 'succeeded' ? console.log : console.error)(`${r.jobId}: ${retentionEndMessage(r)}`);
        }
      } finally {
        await baton.close();
      }
    });
}

export function retentionCommand(): Command {
  return new Command('retention')
    .description("apps' keep policies (the coordinator applies them after each backup)")
    .addCommand(retentionRunCommand());
}

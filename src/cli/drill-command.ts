/**
 * `baton drill <scenario>`: injects one fault into a running demo cluster mid-backup and reports
 * what happened (attempts, restart decisions, timings, re-read bytes, byte-for-byte restore).
 * Exit 0 only when the job committed one snapshot and its restore is identical to the source.
 */
import { Command } from 'commander';
import { formatReport } from '../drill/report';
import { runDrill } from '../drill/run-drill';
import { SCENARIOS, SCENARIO_SUMMARY, parseScenario } from '../drill/scenario-names';

interface DrillFlags {
  json?: boolean;
  config: string;
  app: string;
}

export function drillCommand(): Command {
  return new Command('drill')
    .description('inject a fault into the running demo cluster mid-backup and check the backup survives it')
    .argument('<scenario>', SCENARIOS.map((s) => `${s}: ${SCENARIO_SUMMARY[s]}`).join('\n'))
    .option('--json', 'print one JSON object instead of the narrative')
    .option('--config <file>', 'config of the running demo cluster', '.baton/baton.yaml')
    .option('--app <name>', 'the app to back up during the drill', 'drill-db')
    .action(async (name: string, flags: DrillFlags) => {
      const scenario = parseScenario(name);
      const log = flags.json ? undefined : (line: string) => console.log(`baton drill: ${line}`);
      const report = await runDrill({ scenario, configFile: flags.config, app: flags.app, log });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}

/**
 * Reads baton.yaml (or $BATON_CONFIG), checks it, and turns it into a BatonConfig with absolute
 * paths. A bad file gets one ConfigError that lists every problem with its key, the bad value and
 * the fix; nothing starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { BatonError } from '../model/errors';
import { planProblems } from '../model/plan-problems';
import type { AppSchedule, ClusterPlan, SampleSpec } from '../model/plan';
import { parseSample } from '../model/restore-test';
import { configSchema, durationSeconds, type ConfigFile } from './schema';
import { temporalSettings, type TemporalSettings } from './temporal-settings';

export class ConfigError extends BatonError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid Baton config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface BatonConfig {
  file: string;
  cluster: string;
  /** baton.yaml's temporal keys over Temporal's environment configuration (temporal-settings.ts). */
  temporal: TemporalSettings;
  catalogUrl: string;
  clusterService:
    | { kind: 'static'; mapFile: string; watch: boolean }
    | { kind: 'pacemaker'; resources: Record<string, string>; cibFile?: string; timeoutMs: number };
  plan: ClusterPlan;
  repository: { passwordFile?: string; encryption: boolean; cacheDir: string };
  /** Node name -> HOST:PORT of its metrics endpoint, for the nodes that have one (nodes[].metricsListen). */
  metricsListen: Record<string, string>;
  /** Node name -> its nodes[].allowedRoots, absolute, for the nodes that set them (node-roots.ts). */
  allowedRoots: Record<string, string[]>;
}

export function defaultConfigPath(): string {
  return process.env.BATON_CONFIG ?? resolve('baton.yaml');
}

function keyOf(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const key = keyOf(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${key}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or correct ${issue.keys.length > 1 ? 'them' : 'it'}`;
  }
  const value = valueAt(raw, issue.path);
  if (value === undefined) return `${key}: missing; ${issue.message}`;
  return `${key}: ${JSON.stringify(value)} ${issue.message}`;
}

function resolveTemporal(c: ConfigFile, file: string, baseDir: string, env: NodeJS.ProcessEnv): TemporalSettings {
  try {
    return temporalSettings(c.temporal, baseDir, env);
  } catch (err) {
    throw new ConfigError(file, [(err as Error).message]);
  }
}

type ScheduleFile = NonNullable<ConfigFile['apps'][number]['schedule']>;

function scheduleOf(s: ScheduleFile): AppSchedule {
  return {
    ...(s.cron ? { cron: s.cron } : {}),
    ...(s.every !== undefined ? { everySeconds: durationSeconds(s.every) } : {}),
    ...(s.offset !== undefined ? { offsetSeconds: durationSeconds(s.offset) } : {}),
    ...(s.jitter !== undefined ? { jitterSeconds: durationSeconds(s.jitter) } : {}),
    catchupWindowSeconds: durationSeconds(s.catchupWindow),
  };
}

/** A sample the schema already checked. */
function sampleOf(value: number | string): SampleSpec {
  const parsed = parseSample(value);
  if ('problem' in parsed) throw new Error(`sample ${value} passed the schema but ${parsed.problem}`);
  return parsed.sample;
}

/**
 * Checks parsed YAML (or JSON) and resolves relative paths against `baseDir`; unset temporal keys
 * come from `env`'s TEMPORAL_* variables and Temporal's profile file.
 */
export function configFromObject(
  raw: unknown,
  file: string,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): BatonConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => describeIssue(raw, i)),
    );
  const c: ConfigFile = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const catalogUrl = c.catalog.url.startsWith('sqlite:')
    ? `sqlite:${abs(c.catalog.url.slice('sqlite:'.length))}`
    : c.catalog.url;
  const plan: ClusterPlan = {
    cluster: c.cluster,
    nodes: c.nodes.map((n) => ({ name: n.name })),
    drives: c.drives.map((d) => ({ ...d, path: abs(d.path) })),
    apps: c.apps.map((a) => ({
      name: a.name,
      paths: a.paths.map(abs),
      restart: a.restart,
      maxCheckpointAgeSeconds: durationSeconds(a.maxCheckpointAge),
      bandwidthLimitBytesPerSecond: a.bandwidthLimit,
      schedule: a.schedule ? scheduleOf(a.schedule) : null,
      ...(a.keep ? { keep: a.keep } : {}),
      ...(a.restoreTest
        ? {
            restoreTest: {
              schedule: scheduleOf(a.restoreTest.schedule),
              sample: a.restoreTest.sample !== undefined ? sampleOf(a.restoreTest.sample) : null,
              scratch: a.restoreTest.scratch ? abs(a.restoreTest.scratch) : null,
            },
          }
        : {}),
    })),
    jobs: {
      heartbeatTimeoutSeconds: durationSeconds(c.jobs.heartbeatTimeout),
      scheduleToStartTimeoutSeconds: durationSeconds(c.jobs.scheduleToStartTimeout),
      placementWaitSeconds: durationSeconds(c.jobs.placementWait),
      maxAttempts: c.jobs.maxAttempts,
      checkpointEverySeconds: durationSeconds(c.jobs.checkpointEvery),
      checkpointEveryBytes: c.jobs.checkpointEveryBytes,
      operationBandwidthLimitBytesPerSecond: c.jobs.operationBandwidthLimit,
    },
  };
  const problems = planProblems(plan);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    file,
    cluster: c.cluster,
    temporal: resolveTemporal(c, file, baseDir, env),
    catalogUrl,
    clusterService:
      c.clusterService.kind === 'static'
        ? { kind: 'static', mapFile: abs(c.clusterService.mapFile), watch: c.clusterService.watch }
        : { ...c.clusterService, cibFile: c.clusterService.cibFile && abs(c.clusterService.cibFile) },
    plan,
    repository: {
      encryption: c.repository.encryption,
      cacheDir: c.repository.cacheDir
        ? abs(c.repository.cacheDir)
        : join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'baton', 'files'),
      ...(c.repository.passwordFile ? { passwordFile: abs(c.repository.passwordFile) } : {}),
    },
    metricsListen: Object.fromEntries(c.nodes.flatMap((n) => (n.metricsListen ? [[n.name, n.metricsListen]] : []))),
    allowedRoots: Object.fromEntries(
      c.nodes.flatMap((n) => (n.allowedRoots ? [[n.name, n.allowedRoots.map(abs)]] : [])),
    ),
  };
}

/**
 * The drives' passphrase: $BATON_PASSWORD, else repository.passwordFile. Undefined when encryption
 * is off (and an error if one is given then); an error naming both ways to give one when it is on
 * and none is given.
 */
export function repositoryPassword(config: BatonConfig): string | undefined {
  const password = givenPassword(config);
  if (password !== undefined && !config.repository.encryption) {
    // the engine refuses an unencrypted drive when a passphrase is given (a drive whose config was
    // edited to say "unencrypted" must not take backups in clear text), so the two cannot mix
    throw new ConfigError(config.file, [
      'repository.encryption is false but a passphrase is given (BATON_PASSWORD or repository.passwordFile); ' +
        'unencrypted drives are used without one: unset it, or set repository.encryption: true',
    ]);
  }
  if (password !== undefined || !config.repository.encryption) return password;
  throw new ConfigError(config.file, [
    'repository: no passphrase for the drives; set repository.passwordFile or BATON_PASSWORD ' +
      '(or repository.encryption: false to store backups unencrypted on purpose)',
  ]);
}

function givenPassword(config: BatonConfig): string | undefined {
  if (process.env.BATON_PASSWORD) return process.env.BATON_PASSWORD;
  const file = config.repository.passwordFile;
  if (!file) return undefined;
  try {
    const password = readFileSync(file, 'utf8').trimEnd();
    return password || undefined;
  } catch (err) {
    throw new ConfigError(config.file, [
      `repository.passwordFile: ${file} cannot be read (${(err as Error).message}); create it or fix the path`,
    ]);
  }
}

export function loadConfig(file = defaultConfigPath()): BatonConfig {
  if (!existsSync(file)) {
    throw new ConfigError(file, [
      'file not found; create it (see docs/config.md), point BATON_CONFIG at one, or run `baton demo` to get one',
    ]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}; fix the syntax`]);
  }
  return configFromObject(raw, file, dirname(resolve(file)));
}

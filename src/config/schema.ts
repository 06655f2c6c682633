/**
 * The shape of baton.yaml. Every key has a default where one makes sense, so the smallest valid
 * file names a cluster, its nodes, their drives and the apps. docs/config.md explains each key.
 */
import { z } from 'zod';
import { NAME_PATTERN } from '../model/names';
import { parseSample } from '../model/restore-test';

const name = z.string().regex(NAME_PATTERN, 'must be lower-case letters, digits, ".", "_" or "-" (at most 63)');

const duration = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(s|m|h|d)$/, 'must be a number of seconds or a duration like 90s, 15m, 2h, 1d'),
]);

/** When something runs: an app's backups, its restore tests. */
const schedule = z
  .strictObject({
    cron: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, 'must be a five-field cron expression, e.g. "0 2 * * *"')
      .optional(),
    every: duration.optional(),
    /** Where within each interval an `every` schedule fires (0: on the hour for 1h); absent: spread by app. */
    offset: z.union([z.literal(0), duration]).optional(),
    /** How long after each of its times a cron schedule may fire: a stable amount per schedule and time. */
    jitter: duration.optional(),
    catchupWindow: duration.default('10m'),
  })
  .refine((s) => (s.cron === undefined) !== (s.every === undefined), {
    message: 'must have exactly one of cron (e.g. "0 2 * * *") or every (e.g. 6h)',
  })
  .refine((s) => s.offset === undefined || s.every !== undefined, {
    message:
      'has an offset but no every: offset places an every schedule within its interval; a cron expression says its own times',
  })
  .refine((s) => s.jitter === undefined || s.cron !== undefined, {
    message:
      'has a jitter but no cron: jitter spreads the apps that share a cron time; an every schedule is spread by its offset already',
  })
  .refine(
    (s) => s.offset === undefined || s.every === undefined || durationSeconds(s.offset) < durationSeconds(s.every),
    {
      message:
        'has an offset that is not shorter than its every; give an offset from 0 up to just under the interval, e.g. every: 1h, offset: 15m',
    },
  );

export const configSchema = z.strictObject({
  cluster: name,
  /** Unset keys come from Temporal's environment configuration (TEMPORAL_*, profiles): temporal-settings.ts. */
  temporal: z
    .strictObject({
      address: z
        .string()
        .regex(/^[^:\s]+:\d+$/, 'must be host:port, e.g. 127.0.0.1:7233')
        .optional(),
      namespace: z.string().min(1).optional(),
      /** true: TLS with the system's CAs; false: plain TCP; an object: TLS with these files. */
      tls: z
        .union(
          [
            z.boolean(),
            z.strictObject({
              caFile: z.string().min(1).optional(),
              certFile: z.string().min(1).optional(),
              keyFile: z.string().min(1).optional(),
              serverName: z.string().min(1).optional(),
              /** Refused with the fix (serverName): the TypeScript SDK 1.24 cannot skip host verification. */
              disableHostVerification: z.boolean().optional(),
            }),
          ],
          { error: 'must be true, false, or a map of caFile, certFile, keyFile and serverName' },
        )
        .optional(),
      /** A file holding the API key (sent as `authorization: Bearer <key>`); never the key itself. */
      apiKeyFile: z.string().min(1).optional(),
      /** The name of an environment variable holding the API key. */
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name, e.g. TEMPORAL_API_KEY')
        .optional(),
      /** The profile of Temporal's config file (TEMPORAL_CONFIG_FILE, ~/.config/temporalio/temporal.toml). */
      profile: z.string().min(1).optional(),
      /** Worker Versioning (docs/upgrades.md): default name baton-<cluster>, build ID <version>-<bundle hash>. */
      deployment: z
        .strictObject({
          name: z
            .string()
            .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ and -, e.g. baton-prod')
            .optional(),
          buildId: z
            .string()
            .regex(/^[A-Za-z0-9_.+-]+$/, 'must be letters, digits, _ . + and -, e.g. b2')
            .optional(),
        })
        .optional(),
    })
    .refine((t) => t.apiKeyFile === undefined || t.apiKeyEnv === undefined, {
      message: 'must have at most one of apiKeyFile and apiKeyEnv; remove one',
    })
    .prefault({}),
  catalog: z
    .strictObject({
      url: z.string().min(1).default('sqlite:catalog.db'),
    })
    .prefault({}),
  clusterService: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('static'),
        mapFile: z.string().min(1),
        /**
         * Node processes watch the map and tell the coordinator when it changes (cluster-map-watch.ts);
         * false: a change is seen at the next tick or on `baton cluster notify` (a tool that writes the
         * map and notifies, or a shared filesystem where a stat every 100 ms costs).
         */
        watch: z.boolean().default(true),
      }),
      z.strictObject({
        kind: z.literal('pacemaker'),
        /** App name -> Pacemaker resource (or group) id; an app not listed maps to a resource of its own name. */
        resources: z.record(z.string(), z.string()).default({}),
        /** Read a saved CIB instead of the live cluster (Pacemaker's CIB_file). */
        cibFile: z.string().min(1).optional(),
        timeoutMs: z.number().int().positive().default(10_000),
      }),
    ])
    .default({ kind: 'static', mapFile: 'cluster-map.json', watch: true }),
  jobs: z
    .strictObject({
      heartbeatTimeout: duration.default('10s'),
      scheduleToStartTimeout: duration.default('30s'),
      placementWait: duration.default('2m'),
      maxAttempts: z.number().int().min(1).max(100).default(5),
      checkpointEvery: duration.default('15s'),
      checkpointEveryBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024 * 1024),
      /** Bytes per second a restore may write or a verify read from a drive; 0 means no limit. */
      operationBandwidthLimit: z.number().int().min(0).default(0),
    })
    .prefault({}),
  repository: z
    .strictObject({
      /** File holding the passphrase that encrypts every drive; BATON_PASSWORD overrides it. */
      passwordFile: z.string().min(1).optional(),
      /** Encrypt new drives (AES-256-GCM). Turn off only on purpose. */
      encryption: z.boolean().default(true),
      /** Where each node keeps its per-app file caches (default: ~/.cache/baton/files). */
      cacheDir: z.string().min(1).optional(),
    })
    .prefault({}),
  nodes: z
    .array(
      z.strictObject({
        name,
        /** HOST:PORT where this node serves /metrics and /healthz (`baton node --metrics-listen` overrides it). */
        metricsListen: z
          .string()
          .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:9464 or 0.0.0.0:9464')
          .optional(),
        /** Directories the plan's app and drive paths must lie under on this node; unset: no check. */
        allowedRoots: z.array(z.string().min(1)).min(1, 'must list at least one directory').optional(),
      }),
    )
    .min(1, 'must list at least one node'),
  drives: z
    .array(
      z.strictObject({
        name,
        node: name,
        kind: z.enum(['directory', 'tape']).default('directory'),
        path: z.string().min(1),
        /** tape only: bytes per volume, and how many volumes the drive holds */
        volumeSize: z.number().int().positive().optional(),
        volumes: z.number().int().positive().optional(),
        /** a backup that finds no drive here initialises it (and records so); off: it refuses */
        initOnFirstBackup: z.boolean().optional(),
      }),
    )
    .min(1, 'must list at least one drive'),
  apps: z.array(
    z.strictObject({
      name,
      paths: z.array(z.string().min(1)).min(1, 'must list at least one data path'),
      restart: z.enum(['checkpoint', 'fresh', 'auto']).default('auto'),
      maxCheckpointAge: duration.default('1h'),
      /** Bytes per second a backup of this app may read; 0 means no limit. */
      bandwidthLimit: z.number().int().min(0).default(0),
      schedule: schedule.optional(),
      /** Scheduled restore tests (docs/operations.md, Restore tests); absent: none. */
      restoreTest: z
        .strictObject({
          schedule,
          /** A number of files (100), a fraction (0.1) or a percentage ("10%"); absent: the whole snapshot. */
          sample: z
            .union([z.number(), z.string()])
            .superRefine((v, ctx) => {
              const parsed = parseSample(v);
              if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
            })
            .optional(),
          /** A directory on the node; absent: restore-tests/ under the node's state directory. */
          scratch: z.string().min(1).optional(),
        })
        .optional(),
      /** Which snapshots each drive keeps (restic's rules, UTC buckets); absent: all of them. */
      keep: z
        .strictObject({
          last: z.number().optional(),
          hourly: z.number().optional(),
          daily: z.number().optional(),
          weekly: z.number().optional(),
          monthly: z.number().optional(),
          yearly: z.number().optional(),
        })
        .optional(),
    }),
  ),
});

export type ConfigFile = z.infer<typeof configSchema>;

export function durationSeconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const n = Number(value.slice(0, -1));
  const unit = value.at(-1);
  return n * (unit === 'd' ? 86400 : unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
}

/**
 * Where Baton reaches Temporal, and how: baton.yaml's `temporal` keys first, then Temporal's own
 * environment configuration (TEMPORAL_ADDRESS, TEMPORAL_TLS_*, TEMPORAL_API_KEY, and the profile
 * file that TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml holds, read by
 * @temporalio/envconfig), then the defaults. Each value remembers the setting it came from, so an
 * error can name it. Files are only named here; temporal-options.ts reads them when connecting.
 */
import { isAbsolute, resolve } from 'node:path';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { ConfigFile } from './schema';

/** A certificate, key or API key: a file, inline data (from the environment), or an environment variable. */
export interface SecretSource {
  /** The setting that gave it, for errors: `temporal.tls.caFile`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`, ... */
  setting: string;
  path?: string;
  data?: string;
  env?: string;
}

export interface TemporalTls {
  ca?: SecretSource;
  cert?: SecretSource;
  key?: SecretSource;
  serverName?: string;
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** null: plain TCP. */
  tls: TemporalTls | null;
  apiKey?: SecretSource;
  /** gRPC metadata from TEMPORAL_GRPC_META_* or the profile. */
  metadata?: Record<string, string>;
  /** baton.yaml's temporal.deployment, unresolved (src/workers/deployment.ts fills the defaults). */
  deployment?: { name?: string; buildId?: string };
}

type TemporalKeys = ConfigFile['temporal'];
type Env = Record<string, string | undefined>;

const UNREADABLE = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR']);

/** Temporal's environment configuration: the profile (baton.yaml's, else TEMPORAL_PROFILE) with TEMPORAL_* over it. */
function environmentProfile(keys: TemporalKeys, env: Env): ClientConfigProfile {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  try {
    return loadClientConfigProfile({ profile: keys.profile, overrideEnvVars });
  } catch (err) {
    // Nobody asked for the default file (~/.config/temporalio/temporal.toml) and it cannot be read
    // (a service user such as Pacemaker's hacluster running with root's HOME): as if it were absent.
    const code = (err as NodeJS.ErrnoException).code;
    const implicit = !keys.profile && !env.TEMPORAL_PROFILE && !env.TEMPORAL_CONFIG_FILE;
    if (implicit && code !== undefined && UNREADABLE.has(code)) {
      return loadClientConfigProfile({ disableFile: true, overrideEnvVars });
    }
    const where = env.TEMPORAL_CONFIG_FILE ?? "Temporal's config file (~/.config/temporalio/temporal.toml)";
    throw new Error(
      `temporal.profile: ${(err as Error).message} in ${where}; fix the profile file, or set TEMPORAL_CONFIG_FILE or temporal.profile`,
    );
  }
}

function fromEnvironment(
  source: ConfigDataSource | undefined,
  envVar: string,
  profileKey: string,
  env: Env,
): SecretSource | undefined {
  if (!source) return undefined;
  const dataVar = envVar.replace(/_PATH$/, '_DATA');
  if ('path' in source) {
    return { setting: env[envVar] ? envVar : `the Temporal profile's tls.${profileKey}_path`, path: source.path };
  }
  const data = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
  return { setting: env[dataVar] ? dataVar : `the Temporal profile's tls.${profileKey}_data`, data };
}

/** Each TLS file: its baton.yaml key, its envconfig field, its TEMPORAL_TLS_* variable and its profile key. */
const TLS_FILES = [
  {
    part: 'ca',
    yaml: 'caFile',
    field: 'serverCACert',
    envVar: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    toml: 'server_ca_cert',
  },
  { part: 'cert', yaml: 'certFile', field: 'clientCert', envVar: 'TEMPORAL_TLS_CLIENT_CERT_PATH', toml: 'client_cert' },
  { part: 'key', yaml: 'keyFile', field: 'clientKey', envVar: 'TEMPORAL_TLS_CLIENT_KEY_PATH', toml: 'client_key' },
] as const;

function tlsEnabled(keys: TemporalKeys, profile: ClientConfigProfile): boolean {
  if (keys.tls !== undefined) return keys.tls !== false;
  if (profile.tls) return !profile.tls.disabled;
  // as Temporal's own clients do: an API key turns TLS on unless TLS is turned off
  return Boolean(keys.apiKeyFile || keys.apiKeyEnv || profile.apiKey);
}

function resolveTls(keys: TemporalKeys, profile: ClientConfigProfile, abs: (p: string) => string, env: Env) {
  const yaml = typeof keys.tls === 'object' ? keys.tls : {};
  if (yaml.disableHostVerification) {
    throw new Error(
      'temporal.tls.disableHostVerification: the Temporal TypeScript SDK cannot skip host verification; remove it and ' +
        "set temporal.tls.serverName to a name in the server's certificate",
    );
  }
  if (!tlsEnabled(keys, profile)) return null;
  const envTls = profile.tls ?? {};
  const tls: TemporalTls = {};
  for (const f of TLS_FILES) {
    const path = yaml[f.yaml];
    const source = path
      ? { setting: `temporal.tls.${f.yaml}`, path: abs(path) }
      : fromEnvironment(envTls[f.field], f.envVar, f.toml, env);
    if (source) tls[f.part] = source;
  }
  const serverName = yaml.serverName ?? envTls.serverName;
  if (serverName) tls.serverName = serverName;
  return tls;
}

function resolveApiKey(keys: TemporalKeys, profile: ClientConfigProfile, abs: (p: string) => string, env: Env) {
  if (keys.apiKeyFile) return { setting: 'temporal.apiKeyFile', path: abs(keys.apiKeyFile) };
  if (keys.apiKeyEnv) return { setting: 'temporal.apiKeyEnv', env: keys.apiKeyEnv };
  if (profile.apiKey === undefined) return undefined;
  return {
    setting: env.TEMPORAL_API_KEY ? 'TEMPORAL_API_KEY' : "the Temporal profile's api_key",
    data: profile.apiKey,
  };
}

/**
 * baton.yaml's keys over Temporal's environment configuration over the defaults. Throws an Error
 * whose message is one problem line (the config loader lists it) when a setting cannot be used.
 */
export function temporalSettings(keys: TemporalKeys, baseDir: string, env: Env = process.env): TemporalSettings {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const profile = environmentProfile(keys, env);
  const tls = resolveTls(keys, profile, abs, env);
  const apiKey = resolveApiKey(keys, profile, abs, env);
  return {
    address: keys.address ?? profile.address ?? '127.0.0.1:7233',
    namespace: keys.namespace ?? profile.namespace ?? 'default',
    tls,
    ...(apiKey ? { apiKey } : {}),
    ...(keys.deployment ? { deployment: keys.deployment } : {}),
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0 ? { metadata: profile.grpcMeta } : {}),
  };
}

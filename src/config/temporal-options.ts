/**
 * Turns TemporalSettings into the options both Temporal connections take (a Client's Connection
 * and a worker's NativeConnection): reads the CA, the client certificate and key and the API key,
 * and checks them before any connection is tried, so a missing file, a key that does not match its
 * certificate or an expired certificate is one line naming its setting and the fix.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../model/errors';
import type { SecretSource, TemporalSettings, TemporalTls } from './temporal-settings';

export interface TemporalTlsOptions {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** Both `Connection.connect` and `NativeConnection.connect` accept this. */
export interface TemporalConnectOptions {
  address: string;
  /** false: plain TCP. */
  tls: TemporalTlsOptions | false;
  /** Sent as `authorization: Bearer <apiKey>` on every call. */
  apiKey?: string;
  metadata?: Record<string, string>;
}

function read(source: SecretSource, what: string, configFile: string): Buffer {
  if (source.data !== undefined) return Buffer.from(source.data);
  if (source.env !== undefined) {
    const value = process.env[source.env];
    if (value) return Buffer.from(value);
    throw new UserError(`${configFile}: ${source.setting}: ${source.env} is not set; export it with the ${what}`);
  }
  try {
    return readFileSync(source.path as string);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UserError(
      `${configFile}: ${source.setting}: the ${what} ${source.path} cannot be read (${reason}); fix the path or the file's permissions`,
    );
  }
}

function certificate(pem: Buffer, source: SecretSource, what: string, configFile: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new UserError(
      `${configFile}: ${source.setting}: ${source.path ?? 'its value'} is not a PEM certificate; give the ${what} in PEM form`,
    );
  }
}

function clientPair(tls: TemporalTls, configFile: string, now: Date): { crt: Buffer; key: Buffer } | undefined {
  if (!tls.cert && !tls.key) return undefined;
  if (!tls.cert || !tls.key) {
    const missing = tls.cert ? 'temporal.tls.keyFile' : 'temporal.tls.certFile';
    throw new UserError(
      `${configFile}: ${(tls.cert ?? tls.key)?.setting} is set without ${missing}; a client certificate needs both`,
    );
  }
  const crt = read(tls.cert, 'client certificate', configFile);
  const cert = certificate(crt, tls.cert, 'client certificate', configFile);
  const where = `${configFile}: ${tls.cert.setting}: the client certificate ${tls.cert.path ?? ''}`.trimEnd();
  if (new Date(cert.validTo) < now) {
    throw new UserError(
      `${where} expired on ${cert.validTo}; renew it (and its key) and point the setting at the new one`,
    );
  }
  if (new Date(cert.validFrom) > now) {
    throw new UserError(`${where} is not valid before ${cert.validFrom}; check this host's clock or the certificate`);
  }
  const key = read(tls.key, 'client key', configFile);
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new UserError(
      `${configFile}: ${tls.key.setting}: ${tls.key.path ?? 'its value'} is not a PEM private key; give the client key in PEM form`,
    );
  }
  if (!matches) {
    throw new UserError(
      `${configFile}: ${tls.key.setting} does not match ${tls.cert.setting}; give the key the certificate was made for`,
    );
  }
  return { crt, key };
}

function tlsOptions(tls: TemporalTls, configFile: string, now: Date): TemporalTlsOptions {
  const options: TemporalTlsOptions = {};
  if (tls.serverName) options.serverNameOverride = tls.serverName;
  if (tls.ca) {
    const ca = read(tls.ca, 'CA certificate', configFile);
    certificate(ca, tls.ca, 'CA certificate', configFile);
    options.serverRootCACertificate = ca;
  }
  const pair = clientPair(tls, configFile, now);
  if (pair) options.clientCertPair = pair;
  return options;
}

/** Reads and checks every file the settings name; throws a one-line UserError naming the setting. */
export function temporalConnectOptions(
  settings: TemporalSettings,
  configFile: string,
  now = new Date(),
): TemporalConnectOptions {
  const options: TemporalConnectOptions = {
    address: settings.address,
    tls: settings.tls ? tlsOptions(settings.tls, configFile, now) : false,
  };
  if (settings.apiKey) {
    const apiKey = read(settings.apiKey, 'API key', configFile).toString('utf8').trim();
    if (!apiKey)
      throw new UserError(`${configFile}: ${settings.apiKey.setting}: the API key is empty; put the key there`);
    options.apiKey = apiKey;
  }
  if (settings.metadata) options.metadata = settings.metadata;
  return options;
}

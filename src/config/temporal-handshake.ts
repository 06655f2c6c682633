/**
 * Says why a connection to Temporal failed, in one line naming the setting to fix. The Temporal
 * SDKs report a refused TLS handshake as a bare transport error, so after a failed connect this
 * repeats the handshake with Node's own TLS client, the same CA, client certificate and server
 * name, and reads the reason from it: an unknown authority, a server name the certificate does not
 * hold, a server that wants a client certificate, a client certificate it refused or found expired,
 * a server that does not speak TLS (or speaks only TLS).
 */
import { isIP, Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { TemporalConnectOptions } from './temporal-options';
import type { TemporalSettings } from './temporal-settings';

/** How long a finished handshake waits for the server's alert (TLS 1.3 sends client-certificate refusals after it). */
const ALERT_WAIT_MS = 1000;

interface Probe {
  ok: boolean;
  code?: string;
  message?: string;
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

function probeTls(options: TemporalConnectOptions, timeoutMs: number, verify = true): Promise<Probe> {
  const { host, port } = hostPort(options.address);
  const tls = options.tls || {};
  const servername = tls.serverNameOverride ?? (isIP(host) ? undefined : host);
  const connectOptions: ConnectionOptions = {
    host,
    port,
    ALPNProtocols: ['h2'],
    rejectUnauthorized: verify,
    ...(servername ? { servername } : {}),
    ...(tls.serverRootCACertificate ? { ca: tls.serverRootCACertificate } : {}),
    ...(tls.clientCertPair ? { cert: tls.clientCertPair.crt, key: tls.clientCertPair.key } : {}),
  };
  return new Promise((resolve) => {
    const socket = tlsConnect(connectOptions);
    const done = (probe: Probe) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(probe);
    };
    const timer = setTimeout(() => done({ ok: false, code: 'ETIMEDOUT' }), timeoutMs);
    socket.on('secureConnect', () => {
      clearTimeout(timer);
      setTimeout(() => done({ ok: true }), ALERT_WAIT_MS);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, code: err.code, message: err.message }));
  });
}

function probeTcp(address: string, timeoutMs: number): Promise<Probe> {
  const { host, port } = hostPort(address);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (probe: Probe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, code: 'ETIMEDOUT' }));
    socket.on('connect', () => done({ ok: true }));
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, code: err.code, message: err.message }));
    socket.connect(port, host);
  });
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);
const CLIENT_CERT_REFUSED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
]);
const NOT_REACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

function setting(source: { setting: string; path?: string } | undefined, fallback: string): string {
  return source ? `${source.setting} (${source.path ?? 'inline'})` : fallback;
}

/** The reason of a failed TLS probe, or undefined when the code says nothing about TLS. */
function tlsReason(probe: Probe, settings: TemporalSettings, options: TemporalConnectOptions): string | undefined {
  const tls = settings.tls ?? {};
  const code = probe.code ?? '';
  const failed = `TLS handshake with Temporal at ${options.address} failed`;
  if (UNKNOWN_AUTHORITY.has(code)) {
    const ca = tls.ca ? `not by the CA of ${setting(tls.ca, '')}` : 'not by a CA this system trusts';
    return `${failed}: certificate signed by unknown authority (${ca}); set temporal.tls.caFile to the CA certificate that signed the server's certificate`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `${failed}: the server's certificate is not for ${tls.serverName ?? hostPort(options.address).host} (${probe.message}); set temporal.tls.serverName to a name the certificate holds, or use that name in temporal.address`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `${failed}: the server's certificate has expired; the server must renew it`;
  if (
    code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' ||
    (!tls.cert && code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')
  ) {
    return `${failed}: the server requires a client certificate; set temporal.tls.certFile and temporal.tls.keyFile (mTLS)`;
  }
  if (code === 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED') {
    return `${failed}: the server refused the client certificate of ${setting(tls.cert, 'temporal.tls.certFile')} as expired; renew it`;
  }
  if (CLIENT_CERT_REFUSED.has(code)) {
    return `${failed}: the server refused the client certificate of ${setting(tls.cert, 'temporal.tls.certFile')} (${code}); give one signed by a CA the server trusts`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `${failed}: the server does not speak TLS; remove temporal.tls (and TEMPORAL_TLS*) or check temporal.address`;
  }
  return undefined;
}

function notReached(settings: TemporalSettings, configFile: string): string {
  return (
    `no Temporal server answers at ${settings.address}; start the demo cluster with \`npm run demo\`, ` +
    `or set temporal.address in ${configFile} to a running server`
  );
}

/**
 * One line saying why connecting to Temporal with `options` failed with `cause`, and what to set.
 * Probes the server again (a TCP connect, a TLS handshake); takes at most a few seconds.
 */
export async function explainConnectFailure(
  settings: TemporalSettings,
  options: TemporalConnectOptions,
  configFile: string,
  cause: unknown,
): Promise<string> {
  const fallback = `Temporal at ${settings.address} refused the connection (${String((cause as Error)?.message ?? cause).split('\n')[0]}); check temporal.address, temporal.tls and the API key in ${configFile}`;
  const tcp = await probeTcp(options.address, 3000);
  if (!tcp.ok) return notReached(settings, configFile);
  if (options.tls === false) {
    const speaksTls = await probeTls({ ...options, tls: {} }, 3000, false);
    // a handshake that ends in an alert (no client certificate, say) is TLS too
    if (speaksTls.ok || /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/.test(speaksTls.code ?? '')) {
      return `Temporal at ${settings.address} requires TLS; set temporal.tls (true, or its caFile, certFile and keyFile) in ${configFile}`;
    }
    return fallback;
  }
  const probe = await probeTls(options, 3000);
  if (probe.ok) return fallback;
  if (NOT_REACHED.has(probe.code ?? '')) return notReached(settings, configFile);
  return tlsReason(probe, settings, options) ?? fallback;
}

/**
 * The Pacemaker adapter: asks `crm_mon --output-as=xml --inactive` on this node and turns its answer
 * into a ClusterSnapshot. With `cibFile` (Pacemaker's CIB_file) it reads a saved CIB instead of the
 * live cluster, which is how the offline fixtures and tests run.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import type { ClusterApp, ClusterNode, ClusterSnapshot } from '../model/cluster';
import { ClusterUnavailableError, type ClusterAdapter } from './adapter.js';
import { appsOf, CrmMonError, readCrmMon } from './crm-mon-xml.js';

export { UnknownResourceError } from './crm-mon-xml.js';

export interface PacemakerAdapterOptions {
  /**
   * Which resources are apps. A record maps app name -> Pacemaker resource id (group, primitive,
   * clone or bundle); a list names apps whose resource id is the same as the name. When absent,
   * every top-level resource is an app named after its id.
   */
  apps?: Readonly<Record<string, string>> | readonly string[];
  /**
   * The crm_mon executable (default `crm_mon` on PATH), or a command line that runs it elsewhere,
   * to which the crm_mon arguments are appended: `['nsenter', '-t', pid, '-m', '-n', 'crm_mon']`.
   */
  crmMon?: string | readonly string[];
  /** Read this saved CIB (sets CIB_file for crm_mon) instead of the live cluster. */
  cibFile?: string;
  /** How long crm_mon may take, in ms; default 10 000. */
  timeoutMs?: number;
  /** How often watch() polls, in ms; default 2 000. */
  pollIntervalMs?: number;
  /** Told about failed polls in watch(); they are otherwise retried silently. */
  onWatchError?: (error: unknown) => void;
  /** Environment for crm_mon; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const INSTALL_HINT = 'install it with `apt-get install pacemaker-cli-utils`, or set clusterService.kind to static';

export class PacemakerAdapter implements ClusterAdapter {
  readonly kind = 'pacemaker';
  private readonly apps: ReadonlyMap<string, string> | undefined;

  constructor(private readonly options: PacemakerAdapterOptions = {}) {
    const a = options.apps;
    this.apps = a === undefined ? undefined : new Map(Array.isArray(a) ? a.map((n) => [n, n]) : Object.entries(a));
  }

  async snapshot(): Promise<ClusterSnapshot> {
    const takenAt = new Date().toISOString();
    const xml = await this.runCrmMon();
    let view;
    try {
      view = readCrmMon(xml);
    } catch (e) {
      if (e instanceof CrmMonError) throw new ClusterUnavailableError(this.unavailable(e.message), { cause: e });
      throw e;
    }
    const apps = appsOf(view, this.apps);
    return { version: versionOf(view.nodes, apps), takenAt, nodes: view.nodes, apps };
  }

  /** Polls crm_mon and calls onChange with each snapshot whose version differs from the last. */
  watch(onChange: (snapshot: ClusterSnapshot) => void): () => void {
    let last: string | undefined;
    let busy = false;
    const poll = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const s = await this.snapshot();
        if (s.version !== last) {
          last = s.version;
          onChange(s);
        }
      } catch (e) {
        this.options.onWatchError?.(e);
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), this.options.pollIntervalMs ?? 2000);
    return () => clearInterval(timer);
  }

  private async runCrmMon(): Promise<string> {
    const [crmMon = 'crm_mon', ...prefix] =
      typeof this.options.crmMon === 'string' ? [this.options.crmMon] : (this.options.crmMon ?? []);
    const env = { ...(this.options.env ?? process.env) };
    const cibFile = this.options.cibFile;
    if (cibFile !== undefined) {
      await access(cibFile).catch((e: unknown) => {
        throw new ClusterUnavailableError(
          `Pacemaker CIB file '${cibFile}' cannot be read (${(e as Error).message}); fix clusterService.cibFile`,
          { cause: e },
        );
      });
      env.CIB_file = cibFile;
    }
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      execFile(
        crmMon,
        [...prefix, '--output-as=xml', '--inactive'],
        { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            return reject(
              new ClusterUnavailableError(`crm_mon not found ('${crmMon}'): ${INSTALL_HINT}`, { cause: error }),
            );
          }
          if (error.killed) {
            return reject(
              new ClusterUnavailableError(
                this.unavailable(`crm_mon did not answer within ${timeoutMs} ms`) +
                  ' (raise clusterService.timeoutMs if the cluster is just slow)',
                { cause: error },
              ),
            );
          }
          // crm_mon exits non-zero with its reasons in the XML (<status code=...><errors>).
          if (stdout.includes('<pacemaker-result')) {
            try {
              readCrmMon(stdout);
            } catch (e) {
              if (e instanceof CrmMonError) {
                return reject(new ClusterUnavailableError(this.unavailable(e.message), { cause: error }));
              }
            }
          }
          const detail = stderr.trim().split('\n').slice(0, 5).join('; ') || error.message;
          reject(new ClusterUnavailableError(this.unavailable(`crm_mon failed: ${detail}`), { cause: error }));
        },
      );
    });
  }

  private unavailable(reason: string): string {
    const where =
      this.options.cibFile !== undefined ? `CIB file '${this.options.cibFile}'` : 'the cluster on this node';
    const fix =
      this.options.cibFile !== undefined
        ? 'check that the file is a Pacemaker CIB'
        : 'start Pacemaker here (check with `crm_mon -1`), or set clusterService.kind to static';
    return `Pacemaker cannot be asked about ${where}: ${reason}; ${fix}`;
  }
}

/** A short hash of what Baton sees; equal views give equal versions, whatever the time. */
export function versionOf(nodes: readonly ClusterNode[], apps: readonly ClusterApp[]): string {
  const content = JSON.stringify({
    nodes: nodes.map((n) => [n.name, n.state]),
    apps: apps.map((a) => [a.name, a.host, a.state]),
  });
  return 'pcmk-' + createHash('sha256').update(content).digest('hex').slice(0, 16);
}

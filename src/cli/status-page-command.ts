/**
 * `baton status --serve HOST:PORT`: serves the status page (status-page-server.ts) until SIGINT
 * or SIGTERM, then closes the server, the catalog and the Temporal connection.
 */
import { connect } from '../client/connect';
import { openCatalog } from '../catalog/open';
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import { defaultWebUiUrl, loadStatusAnswer } from './status-page-data';
import { parseServeAddress, startStatusPageServer } from './status-page-server';

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** --web-ui-url as given, when it is an http(s) URL; a UserError otherwise. */
function checkWebUiUrl(url: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    throw new UserError(`--web-ui-url "${url}" is not an http(s) URL; give one like http://temporal.example:8233`);
  }
  return url;
}

export async function serveStatusPage(config: BatonConfig, listen: string, webUiUrl?: string): Promise<void> {
  parseServeAddress(listen);
  const ui = webUiUrl === undefined ? defaultWebUiUrl(config.temporal.address) : checkWebUiUrl(webUiUrl);
  const { client, close } = await connect(config);
  const catalog = await openCatalog(config.catalogUrl);
  try {
    const sources = { config, client, catalog, webUiUrl: ui };
    const server = await startStatusPageServer(listen, config.cluster, () => loadStatusAnswer(sources));
    console.log(`status page of cluster ${config.cluster} at http://${server.address}/ (Ctrl-C stops it)`);
    const signal = await untilStopped();
    await server.close();
    console.log(`status page stopped (${signal})`);
  } finally {
    await catalog.destroy();
    await close();
  }
}

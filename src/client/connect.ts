/** Connects the CLI to Temporal, with an error that says how to get a server when none answers. */
import { Client, Connection } from '@temporalio/client';
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';

export interface Connected {
  client: Client;
  close: () => Promise<void>;
}

export async function connect(config: BatonConfig): Promise<Connected> {
  const address = config.temporal.address;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 3000 });
    await connection.workflowService.getSystemInfo({});
  } catch {
    throw new UserError(
      `no Temporal server answers at ${address}; start the demo cluster with \`npm run demo\`, ` +
        `or set temporal.address in ${config.file} to a running server`,
    );
  }
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: () => connection.close(),
  };
}

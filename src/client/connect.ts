/**
 * Connects the CLI to Temporal as baton.yaml and Temporal's environment configuration say (TLS,
 * mTLS, API key: src/config/temporal-settings.ts), with a one-line error naming the setting to fix
 * when the server does not answer or refuses the handshake.
 */
import { Client, Connection } from '@temporalio/client';
import type { BatonConfig } from '../config/load';
import { explainConnectFailure } from '../config/temporal-handshake';
import { temporalConnectOptions } from '../config/temporal-options';
import { UserError } from '../model/errors';
import { clientInterceptors } from './grpc-retry';

export interface Connected {
  client: Client;
  close: () => Promise<void>;
}

export async function connect(config: BatonConfig): Promise<Connected> {
  const options = temporalConnectOptions(config.temporal, config.file);
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 3000, interceptors: clientInterceptors() });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    await connection?.close();
    throw new UserError(await explainConnectFailure(config.temporal, options, config.file, err), { cause: err });
  }
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: () => connection.close(),
  };
}

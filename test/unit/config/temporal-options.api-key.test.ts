/**
 * The API key reaches the server as `authorization: Bearer <key>`, from both connections Baton
 * opens (the CLI's Connection and the node's NativeConnection). The dev server ignores API keys,
 * so a plain HTTP/2 server here records the headers of the calls it gets and answers UNIMPLEMENTED.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporalConnectOptions } from '../../../src/config/temporal-options';
import { tempDir } from '../../helpers/temp';

let server: Http2Server;
let address: string;
const seen: IncomingHttpHeaders[] = [];

before(async () => {
  server = createServer();
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  address = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function options() {
  const keyFile = join(tempDir().path, 'api.key');
  writeFileSync(keyFile, 'k-0123456789\n');
  return temporalConnectOptions(
    { address, namespace: 'default', tls: null, apiKey: { setting: 'temporal.apiKeyFile', path: keyFile } },
    '/b.yaml',
  );
}

test("the CLI's Connection sends the API key as a Bearer authorization header", async () => {
  seen.length = 0;
  const connection = await Connection.connect({ ...options(), connectTimeout: 3000 }).catch(() => undefined);
  await connection?.workflowService.getSystemInfo({}).catch(() => undefined);
  await connection?.close();
  assert.ok(seen.length > 0, 'the server got no call');
  for (const headers of seen) assert.equal(headers.authorization, 'Bearer k-0123456789');
});

test("the node's NativeConnection sends the API key as a Bearer authorization header", async () => {
  seen.length = 0;
  const connection = await NativeConnection.connect(options()).catch(() => undefined);
  await connection?.close();
  assert.ok(seen.length > 0, 'the server got no call');
  for (const headers of seen) assert.equal(headers.authorization, 'Bearer k-0123456789');
});

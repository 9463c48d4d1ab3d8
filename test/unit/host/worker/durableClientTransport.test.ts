import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import axios from 'axios';
import type { DurableClient } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableClientBinding, durableRpcBaseUrl } from '../../../../host/durable/api/clientBinding';
import { HttpServer, type LocalRequest } from '../../../../host/http/httpServer';
import type { HostLogger } from '../../../../host/logging/hostLogger';
import { routeDurableClientToHost } from '../../../../host/worker/durableClientTransport';

// The SDK's DurableClient calls the Durable HTTP API with axios; in a language worker those calls
// reach the host's routes through the worker's port instead of a socket. Here the app is this
// project (its durable-functions and axios), the host's side a real HttpServer answering through
// `handle`, and anything else still goes over HTTP.
const ROOT = path.resolve(__dirname, '../../../..');
const silent: HostLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};
const server = new HttpServer(silent);
const handled: (LocalRequest & { overSocket: boolean })[] = [];
// The axios module the SDK uses (the app's own calls share it when the app imports axios too).
const sdkAxios = createRequire(require.resolve('durable-functions'))('axios') as typeof axios;
const adapterBefore = sdkAxios.defaults.adapter;
let origin = '';

beforeAll(async () => {
  const api = '/runtime/webhooks/durabletask';
  server.route(['GET'], `${api}/instances/:id`, async (ctx) => {
    handled.push({
      method: 'GET',
      url: ctx.req.url ?? '',
      headers: {},
      overSocket: ctx.req.socket instanceof net.Socket,
    });
    if (ctx.params.id === 'missing') {
      ctx.res.writeHead(404, { 'Content-Type': 'application/json' });
      ctx.res.end(JSON.stringify({ message: 'no such instance' }));
      return;
    }
    ctx.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    ctx.res.end(
      JSON.stringify({
        name: 'saga',
        instanceId: ctx.params.id,
        runtimeStatus: 'Completed',
        input: null,
        customStatus: null,
        output: 'é ✓',
        createdTime: '2026-12-07T05:00:00Z',
        lastUpdatedTime: '2026-12-07T05:00:01Z',
      }),
    );
    await Promise.resolve();
  });
  server.route(['POST'], `${api}/orchestrators/:fn/:id`, async (ctx) => {
    const body = (await ctx.body()).toString('utf8');
    handled.push({
      method: 'POST',
      url: ctx.req.url ?? '',
      headers: { 'content-type': String(ctx.req.headers['content-type']), host: String(ctx.req.headers.host) },
      body,
      overSocket: ctx.req.socket instanceof net.Socket,
    });
    ctx.res.writeHead(202, { 'Content-Type': 'application/json' });
    ctx.res.end(JSON.stringify({ id: ctx.params.id }));
  });
  server.route(['GET'], '/api/other', (ctx) => {
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.end(JSON.stringify({ overSocket: ctx.req.socket instanceof net.Socket }));
  });
  origin = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  expect(routeDurableClientToHost(ROOT, durableRpcBaseUrl(origin), (request) => server.handle(request))).toBe(true);
});

afterAll(async () => {
  sdkAxios.defaults.adapter = adapterBefore;
  await server.close();
});

/** The SDK's client class, made from the binding's data as `df.getClient` makes it. */
const { DurableClient: SdkClient } = createRequire(__filename)(
  'durable-functions/lib/src/durableClient/DurableClient',
) as { DurableClient: new (data: unknown) => DurableClient };

function client(rpcOrigin: string): DurableClient {
  return new SdkClient(JSON.parse(JSON.stringify(durableClientBinding(origin, rpcOrigin, 'Hub'))));
}

describe("the app's durable client in a language worker", () => {
  it('reaches the Durable HTTP API without a socket, with its method, path, headers and body', async () => {
    handled.length = 0;
    const id = await client(origin).startNew('saga', { instanceId: 'order-1', input: { total: 3 } });
    expect(id).toBe('order-1');
    const status = await client(origin).getStatus('order-1');
    expect(status).toMatchObject({ instanceId: 'order-1', runtimeStatus: 'Completed', output: 'é ✓' });
    expect(handled).toEqual([
      {
        method: 'POST',
        url: '/runtime/webhooks/durabletask/orchestrators/saga/order-1',
        headers: { 'content-type': 'application/json', host: new URL(origin).host },
        body: '{"total":3}',
        overSocket: false,
      },
      expect.objectContaining({ method: 'GET', overSocket: false }),
    ]);
  });

  it("gets the API's error answers as the SDK reads them over HTTP", async () => {
    await expect(client(origin).getStatus('missing')).rejects.toThrow(/404/);
  });

  it('leaves every other URL to HTTP: the app’s own calls, and another host’s API', async () => {
    handled.length = 0;
    const other = await sdkAxios.get(`${origin}/api/other`);
    expect(other.data).toEqual({ overSocket: true });
    // The same API named by another origin (localhost, not the binding's 127.0.0.1) is another host.
    const elsewhere = await client(origin.replace('127.0.0.1', 'localhost')).getStatus('far');
    expect(elsewhere).toMatchObject({ instanceId: 'far' });
    expect(handled.map((h) => h.overSocket)).toEqual([true]);
  });
});

import { describe, expect, it } from 'vitest';
import { DurableApiError, durableStatusReader } from '../../../src/monitor/durableStatusApi';

// The reads go to the same Durable HTTP API as the SDK's client: these tests check the URLs and
// headers against a recorded fetch, the answers are shaped like the extension's.

interface Sent {
  url: string;
  headers: Record<string, string>;
}

function fakeFetch(answer: (url: URL) => Response): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fake = ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    sent.push({ url: url.toString(), headers: { ...(init?.headers as Record<string, string> | undefined) } });
    return Promise.resolve(answer(url));
  }) as typeof fetch;
  return { fetch: fake, sent };
}

const status = {
  name: 'sagaOrchestrator',
  instanceId: 'abc',
  runtimeStatus: 'Completed',
  input: null,
  customStatus: null,
  output: null,
  createdTime: '2025-03-01T10:00:00Z',
  lastUpdatedTime: '2025-03-01T10:00:01Z',
};

const rpcBinding = {
  taskHubName: 'DurableSagaHub',
  rpcBaseUrl: 'http://127.0.0.1:17071/durabletask/',
  managementUrls: {
    id: 'INSTANCEID',
    statusQueryGetUri:
      'https://app.example/runtime/webhooks/durabletask/instances/INSTANCEID?taskHub=DurableSagaHub&connection=Storage&code=SYSTEMKEY',
  },
};

describe('the Durable HTTP API reads of the monitor', () => {
  it('asks for one page with top and hands back the continuation token', async () => {
    const { fetch, sent } = fakeFetch(() =>
      Response.json([status], { headers: { 'x-ms-continuation-token': 'next-page' } }),
    );
    const reader = durableStatusReader(rpcBinding, fetch);

    const page = await reader.listInstances({
      runtimeStatus: ['Running', 'Failed'],
      createdFrom: new Date('2025-03-01T00:00:00Z'),
      createdTo: new Date('2025-03-02T00:00:00Z'),
      idPrefix: 'order-',
      pageSize: 25,
      includeSteps: false,
      continuationToken: 'this-page',
    });

    expect(page).toEqual({ instances: [status], continuationToken: 'next-page' });
    const url = new URL(sent[0].url);
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:17071/durabletask/instances/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      showInput: 'false',
      top: '25',
      runtimeStatus: 'Running,Failed',
      createdTimeFrom: '2025-03-01T00:00:00.000Z',
      createdTimeTo: '2025-03-02T00:00:00.000Z',
      instanceIdPrefix: 'order-',
    });
    expect(sent[0].headers).toEqual({ 'x-ms-continuation-token': 'this-page' });
  });

  it('treats a missing, empty or "null" token as the last page', async () => {
    const headerSets: Record<string, string>[] = [
      {},
      { 'x-ms-continuation-token': '' },
      { 'x-ms-continuation-token': 'null' },
    ];
    for (const headers of headerSets) {
      const { fetch } = fakeFetch(() => Response.json([], { headers }));
      const page = await durableStatusReader(rpcBinding, fetch).listInstances({
        runtimeStatus: [],
        pageSize: 20,
        includeSteps: false,
      });
      expect(page).toEqual({ instances: [] });
    }
  });

  it('reads one instance with input, history and history outputs, keeping historyEvents', async () => {
    const historyEvents = [{ EventType: 'ExecutionStarted', Timestamp: '2025-03-01T10:00:00.0000000Z' }];
    const { fetch, sent } = fakeFetch(() => Response.json({ ...status, historyEvents }, { status: 202 }));

    const found = await durableStatusReader(rpcBinding, fetch).getInstanceWithHistory('abc:B');

    expect(found?.historyEvents).toEqual(historyEvents);
    const url = new URL(sent[0].url);
    expect(url.pathname).toBe('/durabletask/instances/abc%3AB');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      showInput: 'true',
      showHistory: 'true',
      showHistoryOutput: 'true',
    });
  });

  it('answers undefined for an unknown instance and throws on other answers', async () => {
    const notFound = fakeFetch(() => new Response('', { status: 404 }));
    await expect(
      durableStatusReader(rpcBinding, notFound.fetch).getInstanceWithHistory('nope'),
    ).resolves.toBeUndefined();

    const broken = fakeFetch(() => new Response('boom', { status: 500 }));
    await expect(durableStatusReader(rpcBinding, broken.fetch).getInstanceWithHistory('x')).rejects.toThrow(
      DurableApiError,
    );
    await expect(
      durableStatusReader(rpcBinding, broken.fetch).listInstances({
        runtimeStatus: [],
        pageSize: 1,
        includeSteps: false,
      }),
    ).rejects.toThrow('the Durable HTTP API answered 500: boom');
  });

  it('uses the management URLs, with their task hub and key, when the binding has no rpcBaseUrl', async () => {
    const { fetch, sent } = fakeFetch((url) =>
      url.pathname.endsWith('/instances/') ? Response.json([]) : Response.json(status),
    );
    const reader = durableStatusReader({ ...rpcBinding, rpcBaseUrl: null }, fetch);

    await reader.listInstances({ runtimeStatus: [], pageSize: 5, includeSteps: false });
    await reader.getInstanceWithHistory('abc');

    const [list, one] = sent.map((s) => new URL(s.url));
    expect(list.origin + list.pathname).toBe('https://app.example/runtime/webhooks/durabletask/instances/');
    expect(list.searchParams.get('code')).toBe('SYSTEMKEY');
    expect(list.searchParams.get('top')).toBe('5');
    expect(one.pathname).toBe('/runtime/webhooks/durabletask/instances/abc');
    expect(one.searchParams.get('taskHub')).toBe('DurableSagaHub');
  });

  it('refuses binding data that is not a durable client binding', () => {
    expect(() => durableStatusReader({ something: 'else' })).toThrow();
  });
});

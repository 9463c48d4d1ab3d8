import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  actOnInstance,
  ActionCall,
  listInstances,
  MonitorClient,
  purgeInstance,
  readInstance,
  serveMonitorPage,
  serveMonitorPageScript,
} from '../../../src/functions/monitor';
import { DurableApiError, DurableStatusReader, InstanceStatusPayload } from '../../../src/monitor/durableStatusApi';
import { InstanceListQuery } from '../../../src/monitor/listQuery';
import { recordedInstance } from './recordedInstances';

// The monitor's HTTP handlers (src/functions/monitor.ts) over fake durable clients. They live
// here with the monitor's other tests; the browser and the real host are in test/e2e/monitor.test.ts.

function instance(instanceId: string, name = 'sagaOrchestrator', runtimeStatus = 'Completed'): InstanceStatusPayload {
  return {
    name,
    instanceId,
    runtimeStatus,
    createdTime: '2025-03-01T10:00:00Z',
    lastUpdatedTime: '2025-03-01T10:00:01Z',
  };
}

/** A task hub of pages: each list call answers the page the token names. */
function pagedReader(
  pages: InstanceStatusPayload[][],
  byId: Record<string, InstanceStatusPayload> = {},
): DurableStatusReader & { queries: InstanceListQuery[] } {
  const queries: InstanceListQuery[] = [];
  return {
    queries,
    listInstances(query) {
      queries.push(query);
      if (query.idPrefix !== undefined) {
        return Promise.resolve({
          instances: Object.values(byId).filter((i) => i.instanceId.startsWith(query.idPrefix!)),
        });
      }
      const index = query.continuationToken === undefined ? 0 : Number(query.continuationToken.replace('page-', ''));
      if (Number.isNaN(index)) return Promise.reject(new DurableApiError(400, 'bad token'));
      const next = index + 1 < pages.length ? { continuationToken: `page-${index + 1}` } : {};
      return Promise.resolve({ instances: pages[index] ?? [], ...next });
    },
    getInstanceWithHistory(id) {
      return Promise.resolve(byId[id]);
    },
  };
}

interface Calls {
  terminate: [string, string][];
  suspend: [string, string][];
  resume: [string, string][];
  raiseEvent: [string, string, unknown][];
  startNew: [string, unknown][];
  purge: string[];
}

function fakeClient(
  statuses: Record<string, { name: string; runtimeStatus: string; input?: unknown }>,
): MonitorClient & { calls: Calls } {
  const calls: Calls = { terminate: [], suspend: [], resume: [], raiseEvent: [], startNew: [], purge: [] };
  return {
    calls,
    getStatus(id) {
      const found = statuses[id];
      if (found === undefined)
        return Promise.reject(
          new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. ${id}`),
        );
      return Promise.resolve({ input: null, ...found });
    },
    terminate(id, reason) {
      calls.terminate.push([id, reason]);
      return Promise.resolve();
    },
    suspend(id, reason) {
      calls.suspend.push([id, reason]);
      return Promise.resolve();
    },
    resume(id, reason) {
      calls.resume.push([id, reason]);
      return Promise.resolve();
    },
    raiseEvent(id, name, data) {
      calls.raiseEvent.push([id, name, data]);
      return Promise.resolve();
    },
    startNew(name, options) {
      calls.startNew.push([name, options]);
      return Promise.resolve('new-instance');
    },
    purgeInstanceHistory(id) {
      calls.purge.push(id);
      return Promise.resolve({ instancesDeleted: statuses[id] === undefined ? 0 : 1 });
    },
  };
}

function call(overrides: Partial<ActionCall>): ActionCall {
  return {
    id: 'saga-1',
    action: 'terminate',
    contentType: 'application/json',
    fetchSite: 'same-origin',
    body: '{}',
    ...overrides,
  };
}

describe('GET /api/monitor', () => {
  it('serves the page with its security headers', () => {
    const response = serveMonitorPage();
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/^<!doctype html>/);
    expect(response.headers).toMatchObject({
      'Content-Security-Policy': expect.stringContaining("default-src 'none'"),
    });
  });
});

describe('GET /api/monitor/pageScript.js', () => {
  it('serves the compiled script as JavaScript, the file whose hash the page allows', () => {
    const response = serveMonitorPageScript();
    const body = response.body as string;
    const hash = `sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}`;

    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/javascript; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(body).toContain('function renderTimeline(');
    const page = serveMonitorPage();
    expect(page.headers).toMatchObject({ 'Content-Security-Policy': expect.stringContaining(`script-src '${hash}';`) });
    expect(page.body as string).toContain(`integrity="${hash}"`);
  });
});

describe('GET /api/monitor/instances', () => {
  it('answers rows and the token of the next page', async () => {
    const reader = pagedReader([[instance('a')], [instance('b')]]);
    const response = await listInstances(new URLSearchParams('pageSize=1'), reader, new Date('2025-03-01T11:00:00Z'));

    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      instances: [{ instanceId: 'a', runtimeStatus: 'Completed' }],
      continuationToken: 'page-1',
    });
  });

  it('hides step sub-orchestrations, reading on until the page is full', async () => {
    const steps = (id: string) => ['A', 'B', 'C'].map((key) => instance(`${id}:${key}`, 'sagaStep'));
    const reader = pagedReader([
      [instance('s1'), ...steps('s1').slice(0, 1)],
      steps('s1').slice(1),
      [instance('s2'), instance('s3')],
      [instance('s4')],
    ]);

    const response = await listInstances(new URLSearchParams('pageSize=3'), reader);

    expect((response.jsonBody as { instances: { instanceId: string }[] }).instances.map((i) => i.instanceId)).toEqual([
      's1',
      's2',
      's3',
    ]);
    expect(response.jsonBody).toMatchObject({ continuationToken: 'page-3' });
    expect(reader.queries.map((q) => q.continuationToken)).toEqual([undefined, 'page-1', 'page-2']);
  });

  it('shows step sub-orchestrations when asked', async () => {
    const reader = pagedReader([[instance('s1'), instance('s1:A', 'sagaStep')]]);
    const response = await listInstances(new URLSearchParams('includeSteps=true'), reader);

    expect((response.jsonBody as { instances: unknown[] }).instances).toHaveLength(2);
  });

  it('answers 400 with the problems of a bad query, before reading anything', async () => {
    const reader = pagedReader([]);
    const response = await listInstances(new URLSearchParams('status=Sleeping'), reader);

    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({ errors: [expect.objectContaining({ path: 'query:status' })] });
    expect(reader.queries).toEqual([]);
  });

  it('answers 400 for a continuation token the task hub refuses', async () => {
    const response = await listInstances(
      new URLSearchParams('continuationToken=garbage'),
      pagedReader([[instance('a')]]),
    );

    expect(response.status).toBe(400);
    expect(response.jsonBody).toEqual({
      errors: [
        {
          path: 'query:continuationToken',
          message: 'was not accepted by the task hub; start again from the first page',
        },
      ],
    });
  });
});

describe('GET /api/monitor/instances/{id}', () => {
  it('answers the detail with the timeline built from the saga and its steps', async () => {
    const { saga, steps } = recordedInstance('rejected-at-c');
    const byId = Object.fromEntries([saga, ...steps].map((i) => [i.instanceId, i]));
    const response = await readInstance(saga.instanceId, pagedReader([], byId));

    expect(response.status).toBe(200);
    const body = response.jsonBody as {
      timeline: { entries: { id: string }[] };
      stepInstances: unknown[];
      historyEvents: unknown[];
    };
    expect(body.timeline.entries.map((e) => e.id)).toContain('compensation-A');
    expect(body.stepInstances).toHaveLength(3);
    expect(body.historyEvents.length).toBeGreaterThan(5);
  });

  it('reads no step sub-orchestrations for a v3 saga: its attempts are in its own history', async () => {
    const { saga } = recordedInstance('v3-retried-b-then-completed');
    const reader = pagedReader([], { [saga.instanceId]: saga });
    const response = await readInstance(saga.instanceId, reader);

    expect(response.status).toBe(200);
    expect(reader.queries).toEqual([]);
    const body = response.jsonBody as { timeline: { entries: { id: string; attempts: unknown[] }[] } };
    expect(body.timeline.entries.find((e) => e.id === 'step-B')?.attempts).toHaveLength(3);
  });

  it('answers 400 for an id the monitor cannot use and 404 for an unknown one', async () => {
    expect(await readInstance('<script>', pagedReader([]))).toMatchObject({
      status: 400,
      jsonBody: { errors: [{ path: 'route:id' }] },
    });
    expect(await readInstance('missing', pagedReader([]))).toEqual({
      status: 404,
      headers: { 'Cache-Control': 'no-store' },
      jsonBody: { errors: [{ path: 'route:id', message: 'no instance with id "missing" in this task hub' }] },
    });
  });
});

describe('POST /api/monitor/instances/{id}/{action}', () => {
  const running = { 'saga-1': { name: 'sagaOrchestrator', runtimeStatus: 'Running', input: { order: {} } } };

  it("terminates a running instance with the reason encoded for the SDK's URL", async () => {
    const client = fakeClient(running);
    const response = await actOnInstance(call({ body: '{"reason":"stuck & #1"}' }), client);

    expect(response).toMatchObject({ status: 202, jsonBody: { instanceId: 'saga-1', action: 'terminate' } });
    expect(client.calls.terminate).toEqual([['saga-1', 'stuck%20%26%20%231']]);
  });

  it('suspends, resumes and raises events', async () => {
    const client = fakeClient({ ...running, 'saga-2': { name: 'sagaOrchestrator', runtimeStatus: 'Suspended' } });

    expect((await actOnInstance(call({ action: 'suspend' }), client)).status).toBe(202);
    expect((await actOnInstance(call({ id: 'saga-2', action: 'resume' }), client)).status).toBe(202);
    expect(
      (await actOnInstance(call({ action: 'raiseEvent', body: '{"name":"Approval","data":{"ok":true}}' }), client))
        .status,
    ).toBe(202);
    expect(client.calls.suspend).toEqual([['saga-1', 'requested%20in%20the%20saga%20monitor']]);
    expect(client.calls.resume).toHaveLength(1);
    expect(client.calls.raiseEvent).toEqual([['saga-1', 'Approval', { ok: true }]]);
  });

  it('restarts as a new instance of the same orchestrator with the same input', async () => {
    const client = fakeClient({
      'saga-1': {
        name: 'sagaOrchestrator',
        runtimeStatus: 'Completed',
        input: { order: { customerId: 'cust-alice' } },
      },
    });
    const response = await actOnInstance(call({ action: 'restart' }), client);

    expect(response).toMatchObject({ status: 202, jsonBody: { instanceId: 'new-instance', restartedFrom: 'saga-1' } });
    expect(client.calls.startNew).toEqual([['sagaOrchestrator', { input: { order: { customerId: 'cust-alice' } } }]]);
  });

  it('answers 409 with the reason when the runtime status does not allow the action', async () => {
    const client = fakeClient({ 'saga-1': { name: 'sagaOrchestrator', runtimeStatus: 'Completed' } });
    const response = await actOnInstance(call({}), client);

    expect(response).toMatchObject({
      status: 409,
      jsonBody: {
        errors: [
          {
            path: 'route:action',
            message: 'the instance is Completed; terminating needs it to be Pending or Running or Suspended',
          },
        ],
      },
    });
    expect(client.calls.terminate).toEqual([]);
  });

  it('answers 404 for an unknown instance and 400/404/415 for bad requests, calling nothing', async () => {
    const client = fakeClient(running);

    expect((await actOnInstance(call({ id: 'nobody' }), client)).status).toBe(404);
    expect((await actOnInstance(call({ id: 'a/b' }), client)).status).toBe(400);
    expect((await actOnInstance(call({ action: 'explode' }), client)).status).toBe(404);
    expect((await actOnInstance(call({ contentType: 'text/plain' }), client)).status).toBe(415);
    expect((await actOnInstance(call({ body: '[' }), client)).status).toBe(400);
    expect(client.calls.terminate).toEqual([]);
  });

  it('refuses requests a browser says come from another site', async () => {
    const client = fakeClient(running);

    for (const fetchSite of ['cross-site', 'same-site']) {
      expect(await actOnInstance(call({ fetchSite }), client)).toMatchObject({
        status: 403,
        jsonBody: { errors: [{ path: 'header:Sec-Fetch-Site' }] },
      });
    }
    expect((await actOnInstance(call({ fetchSite: null }), client)).status).toBe(202);
  });
});

describe('DELETE /api/monitor/instances/{id}', () => {
  it('purges a finished instance', async () => {
    const client = fakeClient({ done: { name: 'sagaOrchestrator', runtimeStatus: 'Failed' } });

    expect(await purgeInstance('done', undefined, client)).toMatchObject({
      status: 200,
      jsonBody: { instanceId: 'done', instancesDeleted: 1 },
    });
    expect(client.calls.purge).toEqual(['done']);
  });

  it('refuses to purge a running saga, an unknown one, or one asked for from another site', async () => {
    const client = fakeClient({ busy: { name: 'sagaOrchestrator', runtimeStatus: 'Running' } });

    expect((await purgeInstance('busy', undefined, client)).status).toBe(409);
    expect((await purgeInstance('gone', undefined, client)).status).toBe(404);
    expect((await purgeInstance('busy', 'cross-site', client)).status).toBe(403);
    expect((await purgeInstance(' ', undefined, client)).status).toBe(400);
    expect(client.calls.purge).toEqual([]);
  });
});

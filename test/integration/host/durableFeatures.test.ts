import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let setup: HostOnAzurite;
let host: HostProcess;
const api = (p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
}

async function startThroughTrigger(name: string, input?: unknown, instanceId?: string): Promise<CheckStatus> {
  const response = await fetch(`${host.url}/api/start/${name}${instanceId ? `/${instanceId}` : ''}`, {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as CheckStatus;
}

async function runToEnd(name: string, input?: unknown): Promise<Record<string, unknown> & { runtimeStatus: string }> {
  const started = await startThroughTrigger(name, input);
  return waitForStatus(started.statusQueryGetUri.replace('http://localhost', 'http://127.0.0.1'));
}

async function client(op: string, instanceId = '', body?: unknown): Promise<Response> {
  return fetch(`${host.url}/api/client/${op}/${instanceId}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  setup = await startHostOnAzurite(APP);
  host = setup.host;
});

afterAll(async () => {
  await setup?.stop();
});

describe('orchestrations started through an HTTP trigger and the durable client', () => {
  it('runs activities in order and reports output and custom status at the status URL', async () => {
    const started = await startThroughTrigger('sequence', ['Ada', 'Grace']);
    expect(started.statusQueryGetUri).toMatch(
      /\/runtime\/webhooks\/durabletask\/instances\/[0-9a-f]{32}\?taskHub=FeaturesHub&connection=Storage$/,
    );
    const status = await waitForStatus(started.statusQueryGetUri.replace('http://localhost', 'http://127.0.0.1'));
    // The app's context.log lines carry the function name and the invocation id.
    expect(host.output()).toMatch(/\[startOrchestration [0-9a-f]{8}\] Started sequence as [0-9a-f]{32}/);
    expect(status).toMatchObject({
      name: 'sequence',
      runtimeStatus: 'Completed',
      input: ['Ada', 'Grace'],
      output: ['Hello Ada', 'Hello Grace'],
      customStatus: { done: 2 },
    });
  });

  it('gives orchestrators and activities their instance id as trigger metadata, read as the Node worker reads a string (JSON when it parses)', async () => {
    for (const [id, seen] of [
      ['order-7', 'order-7'],
      ['42', 42],
      ['null', null],
      ['[1]', [1]],
      ['{"a":1', '{"a":1'],
    ] as const) {
      const started = await startThroughTrigger('metadataSeen', undefined, encodeURIComponent(id));
      const status = await waitForStatus(started.statusQueryGetUri.replace('http://localhost', 'http://127.0.0.1'));
      expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { orchestrator: seen, activity: seen } });
    }
  });

  it('fans out with Task.all', async () => {
    expect(await runToEnd('fanOut', 20)).toMatchObject({ runtimeStatus: 'Completed', output: 190 });
  });

  it('retries a failing activity until it succeeds, and gives up after the last attempt', async () => {
    expect(await runToEnd('retrying', { key: 'ok', failures: 2, attempts: 3 })).toMatchObject({
      runtimeStatus: 'Completed',
      output: 3,
    });
    const gaveUp = await runToEnd('retrying', { key: 'never', failures: 5, attempts: 2 });
    expect(gaveUp).toMatchObject({ runtimeStatus: 'Completed', output: { gaveUp: true } });
    expect((gaveUp.output as { message: string }).message).toContain(
      "Activity function 'flaky' failed:  flaky failure 2",
    );
  });

  it('runs sub-orchestrations with chosen and generated ids, and reports a failed child to the parent', async () => {
    const status = await runToEnd('parent');
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { ok: { child: string; doubled: number }; failure: string };
    expect(output.ok).toEqual({ child: `${String(status.instanceId)}-child`, doubled: 42 });
    expect(output.failure).toContain("Orchestrator function 'child' failed: child failed on purpose");
  });

  it('retries a failed sub-orchestration with the same child id', async () => {
    const status = await runToEnd('parentRetry');
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 2 });
    const child = (await (await fetch(api(`instances/${String(status.instanceId)}-child`))).json()) as {
      runtimeStatus: string;
    };
    expect(child.runtimeStatus).toBe('Completed');
  });

  it('lists and purges through the SDK client', async () => {
    const done = await runToEnd('sequence', ['Purge me']);
    const all = (await (await client('all')).json()) as { instanceId: string }[];
    expect(all.map((s) => s.instanceId)).toContain(done.instanceId);
    expect(await (await client('purge', String(done.instanceId), {})).json()).toEqual({ instancesDeleted: 1 });
    expect(await (await client('purge', String(done.instanceId), {})).json()).toEqual({ instancesDeleted: 0 });
    const failed = await runToEnd('failing');
    const purged = (await (
      await client('purgeBy', '', { from: '2000-01-01T00:00:00Z', runtimeStatus: ['Failed'] })
    ).json()) as { instancesDeleted: number };
    expect(purged.instancesDeleted).toBeGreaterThan(0);
    expect((await fetch(api(`instances/${String(failed.instanceId)}`))).status).toBe(404);
  });

  it('delivers an external event that wins a race against a timer', async () => {
    const started = await startThroughTrigger('race', { timeoutMs: 60_000 });
    await waitForStatus(api(`instances/${started.id}`), (s) => s.runtimeStatus === 'Running');
    expect((await client('raise', started.id, { name: 'Approval', value: { by: 'ops' } })).status).toBe(202);
    expect(await waitForStatus(api(`instances/${started.id}`))).toMatchObject({
      runtimeStatus: 'Completed',
      output: { approved: { by: 'ops' } },
    });
  });

  it('fires durable timers', async () => {
    expect(await runToEnd('race', { timeoutMs: 300 })).toMatchObject({
      runtimeStatus: 'Completed',
      output: { approved: false, timedOut: true },
    });
    expect(await runToEnd('timerThenDone', 200)).toMatchObject({ runtimeStatus: 'Completed', output: 'fired' });
  });

  it('continues as new with a fresh history', async () => {
    const status = await runToEnd('countUp', 0);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 3, input: 3 });
  });

  it('keeps large inputs and outputs whole (10 MB)', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const status = await runToEnd('big', big);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { length: big.length } });
    expect((status.input as string).length).toBe(big.length);
  });

  it('terminates, suspends and resumes through the SDK client', async () => {
    const a = await startThroughTrigger('waitForever');
    await waitForStatus(api(`instances/${a.id}`), (s) => s.runtimeStatus === 'Running');
    expect((await client('terminate', a.id, { reason: 'no longer needed' })).status).toBe(202);
    expect(await waitForStatus(api(`instances/${a.id}`))).toMatchObject({
      runtimeStatus: 'Terminated',
      output: 'no longer needed',
    });

    const b = await startThroughTrigger('waitForever');
    await waitForStatus(api(`instances/${b.id}`), (s) => s.runtimeStatus === 'Running');
    await client('suspend', b.id, { reason: 'pause' });
    await waitForStatus(api(`instances/${b.id}`), (s) => s.runtimeStatus === 'Suspended');
    await client('raise', b.id, { name: 'Go', value: 7 });
    await new Promise((r) => setTimeout(r, 200));
    expect(((await (await fetch(api(`instances/${b.id}`))).json()) as { runtimeStatus: string }).runtimeStatus).toBe(
      'Suspended',
    );
    await client('resume', b.id, { reason: 'go on' });
    expect(await waitForStatus(api(`instances/${b.id}`))).toMatchObject({ runtimeStatus: 'Completed', output: 7 });
  });

  it('shows history through the SDK getStatus, and lists instances with getStatusBy', async () => {
    const started = await startThroughTrigger('sequence', ['H']);
    await waitForStatus(api(`instances/${started.id}`));
    const status = (await (await client('status', started.id)).json()) as { historyEvents?: { EventType: string }[] };
    // The SDK reads `history`, the extension sends `historyEvents`: the raw status is what the API returns.
    const raw = (await (
      await fetch(api(`instances/${started.id}?showHistory=true&showHistoryOutput=true`))
    ).json()) as { historyEvents: { EventType: string; Result?: unknown }[] };
    expect(raw.historyEvents.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(raw.historyEvents[1].Result).toBe('Hello H');
    expect(status).toBeTruthy();
    const completed = (await (await client('by', '', { runtimeStatus: ['Completed'] })).json()) as {
      runtimeStatus: string;
    }[];
    expect(completed.length).toBeGreaterThan(3);
    expect(completed.every((s) => s.runtimeStatus === 'Completed')).toBe(true);
  });

  it('waitForCompletionOrCreateCheckStatusResponse answers 200 with the output', async () => {
    const started = await startThroughTrigger('timerThenDone', 100);
    const response = await client('wait', started.id, { timeout: 10_000 });
    expect(response.status).toBe(200);
    expect(await response.json()).toBe('fired');
  });
});

describe('orchestrations that fail', () => {
  it('fails with the error the orchestrator threw', async () => {
    expect(await runToEnd('failing')).toMatchObject({
      runtimeStatus: 'Failed',
      output: "Orchestrator function 'failing' failed: orchestrator gave up",
    });
  });

  it('fails a nondeterministic replay, naming the mismatched task', async () => {
    const status = await runToEnd('nondeterministic');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toContain(
      "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence ID 0 and name 'hello'",
    );
  });

  it('fails clearly for unknown activities and entities', async () => {
    expect((await runToEnd('unknownActivity')).output).toContain("The function 'noSuchActivity' doesn't exist");
    expect((await runToEnd('usesUnknownEntity')).output).toContain(
      "The function 'nosuchentity' doesn't exist, is disabled, or is not an entity function",
    );
  });
});

describe('the Durable HTTP API', () => {
  it('starts with a chosen id, refuses a second start while running (500), and restarts a finished one', async () => {
    const first = await fetch(api('orchestrators/waitForever/dup-1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"hi"',
    });
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toContain('/instances/dup-1?');
    const again = await fetch(api('orchestrators/waitForever/dup-1'), { method: 'POST', body: '' });
    expect(again.status).toBe(500);
    expect(((await again.json()) as { ExceptionType: string }).ExceptionType).toContain(
      'OrchestrationAlreadyExistsException',
    );
    await fetch(api('instances/dup-1/raiseEvent/Go'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '1',
    });
    await waitForStatus(api('instances/dup-1'));
    expect((await fetch(api('orchestrators/waitForever/dup-1'), { method: 'POST' })).status).toBe(202);
    expect(((await (await fetch(api('instances/dup-1'))).json()) as { runtimeStatus: string }).runtimeStatus).toMatch(
      /Pending|Running/,
    );
  });

  it('restarts an instance with a new id or the same one', async () => {
    const done = await runToEnd('sequence', ['again']);
    const fresh = await fetch(api(`instances/${String(done.instanceId)}/restart`), { method: 'POST' });
    expect(fresh.status).toBe(202);
    const { id } = (await fresh.json()) as { id: string };
    expect(id).not.toBe(done.instanceId);
    expect(await waitForStatus(api(`instances/${id}`))).toMatchObject({ input: ['again'], output: ['Hello again'] });
    const same = await fetch(api(`instances/${String(done.instanceId)}/restart?restartWithNewInstanceId=false`), {
      method: 'POST',
    });
    expect(((await same.json()) as { id: string }).id).toBe(done.instanceId);
    expect(await waitForStatus(api(`instances/${String(done.instanceId)}`))).toMatchObject({
      runtimeStatus: 'Completed',
    });
  });

  it('hides the input on request and answers 500 for a failed instance when asked to', async () => {
    const failed = await runToEnd('failing');
    const plain = await fetch(api(`instances/${String(failed.instanceId)}?showInput=false`));
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { input: unknown }).input).toBeNull();
    expect(
      (await fetch(api(`instances/${String(failed.instanceId)}?returnInternalServerErrorOnFailure=true`))).status,
    ).toBe(500);
    expect((await fetch(api(`instances/${String(failed.instanceId)}?showHistory=maybe`))).status).toBe(400);
  });

  it('answers 202 while running and 200 when done, with Location and Retry-After', async () => {
    const started = await fetch(api('orchestrators/waitForever/status-codes'), { method: 'POST' });
    expect(started.headers.get('retry-after')).toBe('10');
    const running = await fetch(api('instances/status-codes'));
    expect(running.status).toBe(202);
    expect(running.headers.get('retry-after')).toBe('5');
    await fetch(api('instances/status-codes/terminate?reason=done'), { method: 'POST' });
    const done = await waitForStatus(api('instances/status-codes'));
    expect(done.runtimeStatus).toBe('Terminated');
    expect((await fetch(api('instances/status-codes'))).status).toBe(200);
  });

  it('rejects bad input with 4xx and a message', async () => {
    const cases: [string, RequestInit, number, RegExp][] = [
      ['instances/nope', {}, 404, /nope/],
      ['orchestrators/noSuchOrchestrator', { method: 'POST' }, 400, /doesn't exist/],
      ['orchestrators/sequence/%40entity', { method: 'POST' }, 400, /must not start with '@'/],
      ['orchestrators/sequence', { method: 'POST', body: '{not json' }, 400, /Invalid JSON/],
      ['instances/?runtimeStatus=Sleeping', {}, 400, /Sleeping/],
      ['instances/?createdTimeFrom=yesterday', {}, 400, /not a date/],
      // JavaScript reads "1" as the year 2001; the extension's DateTime.TryParse refuses it, and a purge
      // by filter read that way would purge every instance.
      ['instances/?createdTimeFrom=1', { method: 'DELETE' }, 400, /not a date: '1'\. Give an ISO 8601/],
      ['instances/?createdTimeFrom=12&runtimeStatus=Running', {}, 400, /not a date/],
      ['instances/', { method: 'DELETE' }, 400, /createdTimeFrom is required/],
      ['instances/nope/terminate', { method: 'POST' }, 404, /nope/],
      [
        'instances/nope/raiseEvent/X',
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' },
        400,
        /Only application\/json/,
      ],
      ['instances/?taskHub=OtherHub', {}, 400, /OtherHub/],
      ['entities/nosuchentity/k', {}, 404, /No entity function named 'nosuchentity'/],
      ['entities/counter/k', { method: 'POST' }, 400, /op .* is required/],
    ];
    for (const [path, init, status, message] of cases) {
      const response = await fetch(api(path), init);
      expect({ path, status: response.status }).toEqual({ path, status });
      expect(((await response.json()) as { Message: string }).Message).toMatch(message);
    }
  });

  it('answers 410 for events to a finished instance and purges one or by filter', async () => {
    const done = await runToEnd('sequence', ['P']);
    const id = String(done.instanceId);
    const raised = await fetch(api(`instances/${id}/raiseEvent/Late`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(raised.status).toBe(410);
    const purged = await fetch(api(`instances/${id}`), { method: 'DELETE' });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(api(`instances/${id}`))).status).toBe(404);
    expect((await fetch(api(`instances/${id}`), { method: 'DELETE' })).status).toBe(404);
    const byFilter = await fetch(api(`instances/?createdTimeFrom=2000-01-01T00:00:00Z&runtimeStatus=Failed`), {
      method: 'DELETE',
    });
    expect(byFilter.status).toBe(200);
    expect(((await byFilter.json()) as { instancesDeleted: number }).instancesDeleted).toBeGreaterThan(0);
    const failedLeft = (await (await fetch(api('instances/?runtimeStatus=Failed'))).json()) as unknown[];
    expect(failedLeft).toEqual([]);
  });

  it('pages instance lists with a continuation token', async () => {
    const seen = new Set<string>();
    let token: string | null = null;
    let pages = 0;
    do {
      const response: Response = await fetch(api('instances/?top=2'), {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      const page = (await response.json()) as { instanceId: string }[];
      expect(page.length).toBeLessThanOrEqual(2);
      for (const s of page) seen.add(s.instanceId);
      token = response.headers.get('x-ms-continuation-token');
      pages++;
    } while (token);
    const all = (await (await fetch(api('instances/?top=1000'))).json()) as unknown[];
    expect(seen.size).toBe(all.length);
    expect(pages).toBeGreaterThan(1);
  });
});

describe('HTTP triggers', () => {
  it('matches route templates with typed and catch-all parameters, query and cookies', async () => {
    const response = await fetch(`${host.url}/api/items/42/a/b?q=yes`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-seen-method')).toBe('GET');
    expect(response.headers.get('set-cookie')).toContain('seen=42');
    expect(await response.json()).toEqual({ id: '42', rest: 'a/b', q: 'yes' });
    expect((await fetch(`${host.url}/api/items/notanumber/a`)).status).toBe(404);
  });

  it('passes binary bodies through unchanged', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const response = await fetch(`${host.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(response.status).toBe(201);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('answers 404 for no route and for a route called with a method it does not take (as the Functions host does), 500 when a handler throws', async () => {
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    const wrong = await fetch(`${host.url}/api/echo`);
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('allow')).toBeNull();
    expect(((await wrong.json()) as { Message: string }).Message).toBe('No function or route matches GET /api/echo.');
    // The Durable extension's webhooks answer a wrong method with 404 too (HttpApiHandler).
    expect((await fetch(`${host.url}/runtime/webhooks/durabletask/instances/x/terminate`)).status).toBe(404);
    const thrown = await fetch(`${host.url}/api/throws`);
    expect(thrown.status).toBe(500);
    expect(host.output()).toContain('handler exploded');
  });

  it('runs the app’s start and invocation hooks', async () => {
    const hooks = (await (await fetch(`${host.url}/api/hookCount`)).json()) as {
      hookCalls: number;
      postCalls: number;
      appStarted: boolean;
    };
    expect(hooks.appStarted).toBe(true);
    expect(hooks.hookCalls).toBeGreaterThan(0);
    expect(hooks.postCalls).toBeGreaterThan(0);
  });
});

import { HttpRequest, HttpResponse, HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { OrderStarterClient, startOrder } from '../../../src/functions/httpStart';
import { maxOrderBodyBytes } from '../../../src/saga/orderInput';
import { defaultSagaPolicy } from '../../../src/saga/sagaSettings';
import { orderExample, orderExamples } from '../../support/orderExamples';

// The starter over a fake durable client that behaves like the extension's HTTP API: unknown ids
// are a 404 (thrown by the SDK), and starting an id that is already running is refused.

interface FakeInstance {
  readonly name: string;
  readonly input: unknown;
}

class FakeDurableClient implements OrderStarterClient {
  readonly instances = new Map<string, FakeInstance>();
  readonly started: string[] = [];
  startAttempts = 0;
  private generated = 0;

  async startNew(orchestratorName: string, options: { instanceId?: string; input: unknown }): Promise<string> {
    this.startAttempts++;
    await Promise.resolve();
    const id = options.instanceId ?? `generated${++this.generated}`;
    if (this.instances.has(id)) {
      throw new Error(
        `DurableClient error: Durable Functions extension replied with HTTP 500 response. An Orchestration instance with the status Pending already exists.`,
      );
    }
    this.instances.set(id, { name: orchestratorName, input: options.input });
    this.started.push(id);
    return id;
  }

  async getStatus(instanceId: string): Promise<FakeInstance> {
    await Promise.resolve();
    const instance = this.instances.get(instanceId);
    if (instance === undefined) {
      throw new Error(
        `DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${instanceId}.`,
      );
    }
    return instance;
  }

  createCheckStatusResponse(_request: HttpRequest, instanceId: string): HttpResponse {
    const statusQueryGetUri = `http://localhost:7071/runtime/webhooks/durabletask/instances/${instanceId}`;
    return new HttpResponse({
      status: 202,
      jsonBody: { id: instanceId, statusQueryGetUri },
      headers: { Location: statusQueryGetUri },
    });
  }
}

function post(body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://localhost:7071/api/orders', body: { string: body }, headers });
}

const json = (headers: Record<string, string>): Record<string, string> => ({
  'Content-Type': 'application/json',
  ...headers,
});

function bodyOf(response: HttpResponse | HttpResponseInit): Promise<unknown> {
  return response instanceof HttpResponse ? response.json() : Promise.resolve(response.jsonBody);
}

const okBody = orderExample('order-ok.json').body;

describe('POST /api/orders (startOrder)', () => {
  it('starts sagaOrchestrator with the validated order and the saga policy, and answers 202 with the status URLs', async () => {
    const client = new FakeDurableClient();
    const response = await startOrder(post(okBody), client, {});

    expect(response.status).toBe(202);
    expect(await bodyOf(response)).toMatchObject({
      id: 'generated1',
      statusQueryGetUri: expect.stringContaining('generated1'),
    });
    expect(client.instances.get('generated1')).toEqual({
      name: 'sagaOrchestrator',
      input: { order: JSON.parse(okBody), policy: defaultSagaPolicy },
    });
  });

  it('puts the policy from the settings into the input, so the saga keeps it whatever happens later', async () => {
    const client = new FakeDurableClient();
    await startOrder(post(okBody), client, { SAGA_DEADLINE: 'PT1M', SAGA_STEP_MAX_ATTEMPTS: '5' });

    expect(client.instances.get('generated1')?.input).toMatchObject({
      policy: { deadlineMs: 60_000, retry: { step: { maxAttempts: 5 } } },
    });
  });

  it('answers 500 naming the setting when the saga settings are unusable, and starts nothing', async () => {
    const client = new FakeDurableClient();
    const response = await startOrder(post(okBody), client, { SAGA_DEADLINE: 'soon' });

    expect(response.status).toBe(500);
    expect(await bodyOf(response)).toEqual({
      errors: [{ path: 'settings', message: 'SAGA_DEADLINE="soon" is not an ISO-8601 duration such as PT5M' }],
    });
    expect(client.started).toEqual([]);
  });

  it.each(
    orderExamples()
      .filter((example) => example.expected.httpStatus !== 202)
      .map((example) => [example.file, example] as const),
  )('refuses %s with the list of what is wrong', async (_file, example) => {
    const client = new FakeDurableClient();
    const response = await startOrder(post(example.body), client, {});
    const body = (await bodyOf(response)) as { errors: { path: string }[] };

    expect(response.status).toBe(example.expected.httpStatus);
    expect(body.errors.map((error) => error.path)).toEqual(example.expected.errorPaths);
    expect(client.started).toEqual([]);
  });

  it('refuses an oversize body with 413 in the same error shape', async () => {
    const response = await startOrder(post('x'.repeat(maxOrderBodyBytes + 1)), new FakeDurableClient(), {});

    expect(response.status).toBe(413);
    expect(await bodyOf(response)).toEqual({
      errors: [{ path: '$', message: expect.stringMatching(/limit is 65536 bytes/) }],
    });
  });

  it.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['JSON look-alike', 'application/jsonp'],
  ])('refuses an order sent as %s with 415 and starts nothing', async (_kind, contentType) => {
    const client = new FakeDurableClient();
    const response = await startOrder(post(okBody, { 'Content-Type': contentType }), client, {});

    expect(response.status).toBe(415);
    expect(await bodyOf(response)).toEqual({
      errors: [{ path: 'header:Content-Type', message: expect.stringMatching(/^must be application\/json/) }],
    });
    expect(client.started).toEqual([]);
  });

  it('refuses an order without a content type with 415 and starts nothing', async () => {
    const client = new FakeDurableClient();
    const response = await startOrder(post(okBody, {}), client, {});

    expect(response.status).toBe(415);
    expect(client.started).toEqual([]);
  });

  it('takes application/json with a charset', async () => {
    const client = new FakeDurableClient();
    const response = await startOrder(post(okBody, { 'Content-Type': 'Application/JSON; charset=utf-8' }), client, {});

    expect(response.status).toBe(202);
  });

  describe('with an Idempotency-Key', () => {
    it('names the instance after the key', async () => {
      const client = new FakeDurableClient();
      const response = await startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0001' })), client, {});

      expect(response.status).toBe(202);
      expect(client.started).toEqual(['order-0001']);
    });

    it('does not start a second saga when the request is repeated, and answers with the same URLs', async () => {
      const client = new FakeDurableClient();
      const first = await startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0001' })), client, {});
      const second = await startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0001' })), client, {});

      expect(second.status).toBe(202);
      expect(await bodyOf(second)).toEqual(await bodyOf(first));
      expect(client.started).toEqual(['order-0001']);
    });

    it('treats the same order with its fields in another order as a repeat', async () => {
      const client = new FakeDurableClient();
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(okBody) as object).reverse()));
      await startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0001' })), client, {});
      const second = await startOrder(post(reordered, json({ 'Idempotency-Key': 'order-0001' })), client, {});

      expect(second.status).toBe(202);
      expect(client.started).toEqual(['order-0001']);
    });

    it('answers two identical concurrent requests alike, with one saga', async () => {
      const client = new FakeDurableClient();
      const [a, b] = await Promise.all([
        startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0002' })), client, {}),
        startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0002' })), client, {}),
      ]);

      expect([a.status, b.status]).toEqual([202, 202]);
      expect(await bodyOf(a)).toEqual(await bodyOf(b));
      expect(client.started).toEqual(['order-0002']);
      // Both saw no instance and tried to start it: the refused start was answered like a repeat.
      expect(client.startAttempts).toBe(2);
    });

    it('refuses with 409 when the key was used for a different order', async () => {
      const client = new FakeDurableClient();
      await startOrder(post(okBody, json({ 'Idempotency-Key': 'order-0003' })), client, {});
      const other = orderExample('order-rejected-at-c-not-served.json').body;
      const response = await startOrder(post(other, json({ 'Idempotency-Key': 'order-0003' })), client, {});

      expect(response.status).toBe(409);
      expect(await bodyOf(response)).toEqual({
        errors: [{ path: 'header:Idempotency-Key', message: '"order-0003" was already used for a different order' }],
      });
    });

    it('also takes the key from the instanceId field', async () => {
      const client = new FakeDurableClient();
      const body = JSON.stringify({ ...(JSON.parse(okBody) as object), instanceId: 'order-0004' });
      await startOrder(post(body), client, {});
      await startOrder(post(body), client, {});

      expect(client.started).toEqual(['order-0004']);
      expect(client.instances.get('order-0004')?.input).toMatchObject({ order: JSON.parse(okBody) });
    });

    it('refuses a key with characters an instance id cannot have', async () => {
      const response = await startOrder(
        post(okBody, json({ 'Idempotency-Key': 'a/b?c' })),
        new FakeDurableClient(),
        {},
      );

      expect(response.status).toBe(400);
      expect(await bodyOf(response)).toEqual({
        errors: [{ path: 'header:Idempotency-Key', message: expect.any(String) }],
      });
    });
  });

  it('answers 500 when the durable API cannot start the saga', async () => {
    const client = new FakeDurableClient();
    client.startNew = () => Promise.reject(new Error('connect ECONNREFUSED'));
    const response = await startOrder(post(okBody), client, {});

    expect(response.status).toBe(500);
    expect(await bodyOf(response)).toEqual({
      errors: [{ path: '$', message: 'the order saga could not be started; try again' }],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { OrderStatusClient, readOrderStatus } from '../../../src/functions/orderStatus';
import { newSagaState } from '../../../src/saga/sagaState';
import { sagaSteps } from '../../../src/saga/steps';

function clientWith(
  instances: Record<string, { name: string; runtimeStatus: string; customStatus?: unknown; output?: unknown }>,
): OrderStatusClient {
  return {
    getStatus(instanceId) {
      const instance = instances[instanceId];
      if (instance === undefined) {
        return Promise.reject(
          new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. ${instanceId}`),
        );
      }
      return Promise.resolve({ instanceId, ...instance });
    },
  };
}

const state = newSagaState('order-1', sagaSteps, '2025-03-01T10:00:00.000Z', '2025-03-01T10:05:00.000Z');

describe('GET /api/orders/{id} (readOrderStatus)', () => {
  it('answers with the saga in domain terms', async () => {
    const response = await readOrderStatus(
      'order-1',
      clientWith({ 'order-1': { name: 'sagaOrchestrator', runtimeStatus: 'Running', customStatus: state } }),
    );

    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      orderId: 'order-1',
      runtimeStatus: 'Running',
      phase: 'running',
      needsAttention: false,
    });
  });

  it('answers 404 with a message for an unknown id', async () => {
    const response = await readOrderStatus('order-404', clientWith({}));

    expect(response).toEqual({
      status: 404,
      jsonBody: { errors: [{ path: 'route:id', message: 'no order with id "order-404"' }] },
    });
  });

  it('answers 404 for an instance of another orchestration', async () => {
    const response = await readOrderStatus(
      'other',
      clientWith({ other: { name: 'somethingElse', runtimeStatus: 'Running' } }),
    );

    expect(response.status).toBe(404);
  });

  it('answers 400 for an id no order can have', async () => {
    expect((await readOrderStatus('a b', clientWith({}))).status).toBe(400);
    expect((await readOrderStatus(undefined, clientWith({}))).status).toBe(400);
  });

  it('lets other durable API errors surface', async () => {
    const failing: OrderStatusClient = { getStatus: () => Promise.reject(new Error('HTTP 500 from the extension')) };
    await expect(readOrderStatus('order-1', failing)).rejects.toThrow('HTTP 500');
  });
});

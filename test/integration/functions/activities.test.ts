import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSagaActivities, SagaActivities } from '../../../src/functions/activities';
import { Order } from '../../../src/saga/orderInput';
import { newStockDocument, StockDocument } from '../../../src/services/inventory';
import { AccountDocument, newAccountDocument } from '../../../src/services/payment';
import { newZoneDocument, ShipmentDocument } from '../../../src/services/shipping';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { documentWritesTo, FaultyCosmosProxy, startFaultyCosmosProxy } from '../../support/faultyCosmosProxy';
import { createTestStores, openTestStores, TestStores } from '../../support/sagaTestStores';

// Saga v3's deadline fence, against the real Cosmos-protocol server: a do-activity carries the
// saga's deadline and commits nothing at or after it, and an attempt that lost its race against
// the deadline timer cannot commit after the saga compensated it.

let server: CosmosTestServer;
let proxy: FaultyCosmosProxy;
let direct: TestStores;
let viaProxy: TestStores;

const deadlineAt = new Date('2026-06-01T12:05:00.000Z');
const beforeDeadline = new Date('2026-06-01T12:04:59.000Z');
const order: Order = {
  customerId: 'cust-alice',
  currency: 'EUR',
  lines: [
    { sku: 'SKU-KEYBOARD', quantity: 2, unitPriceCents: 1_000 },
    { sku: 'SKU-MOUSE', quantity: 1, unitPriceCents: 500 },
  ],
  shipTo: { name: 'Alice', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
};
let sagaCounter = 0;
let sagaId: string;
const doInput = () => ({ sagaId, order, deadlineAt: deadlineAt.toISOString() });
const rejectInput = () => ({ sagaId, order });

/** The activities with their clock at `now`, through the proxy or straight to the server. */
function activitiesAt(now: Date, stores: TestStores = direct): SagaActivities {
  return createSagaActivities(
    () => Promise.resolve(stores.stores),
    () => now,
  );
}

beforeAll(async () => {
  server = await startCosmosServer();
  direct = await createTestStores(server.endpoint, server.key);
  proxy = await startFaultyCosmosProxy(server.endpoint);
  viaProxy = await openTestStores(proxy.endpoint, server.key, direct.databaseId);
  await direct.stores.shipments.items.upsert(newZoneDocument('NL', 'PostNL'));
});

afterAll(async () => {
  direct.client.dispose();
  viaProxy.client.dispose();
  await proxy.stop();
  await server.stop();
});

beforeEach(async () => {
  sagaId = `saga-v3-${++sagaCounter}`;
  await direct.stores.inventory.items.upsert(newStockDocument('SKU-KEYBOARD', 'Keyboard', 10));
  await direct.stores.inventory.items.upsert(newStockDocument('SKU-MOUSE', 'Mouse', 10));
  await direct.stores.payments.items.upsert(newAccountDocument('cust-alice', 'Alice', 'EUR', 10_000, 50_000));
});

afterEach(() => proxy.clear());

async function available(sku: string): Promise<number | undefined> {
  return (await direct.stores.inventory.item(sku, sku).read<StockDocument>()).resource?.available;
}

async function balance(): Promise<number | undefined> {
  return (await direct.stores.payments.item('cust-alice', 'cust-alice').read<AccountDocument>()).resource?.balanceCents;
}

async function shipment(): Promise<ShipmentDocument | undefined> {
  const id = `shipment-${sagaId}`;
  return (await direct.stores.shipments.item(id, id).read<ShipmentDocument>()).resource;
}

describe('a v3 do-activity at or after the saga deadline', () => {
  it('refuses with "deadline-passed" and changes nothing, for every step', async () => {
    const late = activitiesAt(deadlineAt);

    for (const result of [
      await late.doActivityA(doInput()),
      await late.doActivityB(doInput()),
      await late.doActivityC(doInput()),
    ]) {
      expect(result).toMatchObject({ ok: false, reason: { code: 'deadline-passed' } });
    }
    expect(await available('SKU-KEYBOARD')).toBe(10);
    expect(await available('SKU-MOUSE')).toBe(10);
    expect(await balance()).toBe(10_000);
    expect(await shipment()).toBeUndefined();
  });

  it('commits before the deadline, and a redelivery after it finds the work done instead of refusing', async () => {
    expect(await activitiesAt(beforeDeadline).doActivityB(doInput())).toEqual({ ok: true, ref: `payment-${sagaId}` });

    expect(await activitiesAt(deadlineAt).doActivityB(doInput())).toEqual({ ok: true, ref: `payment-${sagaId}` });
    expect(await balance()).toBe(10_000 - 2_500);
  });

  it('v1/v2 inputs carry no deadline and are not fenced in time', async () => {
    const result = await activitiesAt(new Date('2030-01-01T00:00:00.000Z')).doActivityA(rejectInput());

    expect(result).toEqual({ ok: true, ref: `reservation-${sagaId}` });
  });
});

describe('an attempt that lost its race against the deadline', () => {
  it('cannot commit after the saga compensated it: its held write meets the reject’s fence and is refused', async () => {
    // The attempt started before the deadline; its write to the account is held on the way.
    proxy.inject({ kind: { type: 'hold' }, matches: documentWritesTo('payments') });
    const attempt = activitiesAt(beforeDeadline, viaProxy).doActivityB(doInput());
    await expect.poll(() => proxy.served.hold).toBe(1);

    // Meanwhile the timer won and the saga compensated B: nothing to refund, so a fence is left.
    expect(await activitiesAt(deadlineAt).rejectActivityB(rejectInput())).toEqual({ effect: 'nothing-to-undo' });
    proxy.release();

    expect(await attempt).toMatchObject({ ok: false, reason: { code: 'payment-cancelled' } });
    expect(await balance()).toBe(10_000);
  });

  it('a reservation held up the same way takes back the lines it had reserved and leaves the stock whole', async () => {
    // The keyboard is reserved first (sorted by SKU); the mouse's write is held.
    proxy.inject({
      kind: { type: 'hold' },
      matches: (request) => documentWritesTo('inventory')(request) && request.path.includes('SKU-MOUSE'),
    });
    const attempt = activitiesAt(beforeDeadline, viaProxy).doActivityA(doInput());
    await expect.poll(() => proxy.served.hold).toBe(1);

    await activitiesAt(deadlineAt).rejectActivityA(rejectInput());
    proxy.release();

    expect(await attempt).toMatchObject({ ok: false, reason: { code: 'reservation-cancelled' } });
    expect(await available('SKU-KEYBOARD')).toBe(10);
    expect(await available('SKU-MOUSE')).toBe(10);
  });
});

describe('Cosmos round trips of the v3 activities', () => {
  /** Document requests (reads and writes) one call makes, after the client has its metadata. */
  async function documentCalls(call: () => Promise<unknown>): Promise<string[]> {
    const before = proxy.requests.length;
    await call();
    return proxy.requests
      .slice(before)
      .filter((request) => /\/docs(\/|$)/.test(request.path))
      .map((request) => `${request.method} ${request.path.replace(/^.*\/colls\//, '')}`);
  }
  const oneLine: Order = { ...order, lines: [{ sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 1_000 }] };
  const input = () => ({ sagaId, order: oneLine, deadlineAt: deadlineAt.toISOString() });

  it('each step reads and conditionally writes each document it changes once; receipts and bookings are written without a read', async () => {
    const activities = activitiesAt(beforeDeadline, viaProxy);
    // Warm the client (container metadata) and the zone cache with another saga.
    const warm = { ...input(), sagaId: `${sagaId}-warm` };
    for (const step of [activities.doActivityA, activities.checkCredit, activities.doActivityB, activities.doActivityC])
      await step(warm);

    expect(await documentCalls(() => activities.doActivityA(input()))).toEqual([
      'GET inventory/docs/SKU-KEYBOARD',
      'PUT inventory/docs/SKU-KEYBOARD',
    ]);
    expect(await documentCalls(() => activities.checkCredit(input()))).toEqual(['GET payments/docs/cust-alice']);
    expect(await documentCalls(() => activities.doActivityB(input()))).toEqual([
      'GET payments/docs/cust-alice',
      'PUT payments/docs/cust-alice',
      'POST payments/docs',
    ]);
    // The zone comes from the per-process cache: no read of zone-NL.
    expect(await documentCalls(() => activities.doActivityC(input()))).toEqual(['POST shipments/docs']);
    expect(await documentCalls(() => activities.rejectActivityB({ sagaId, order: oneLine }))).toEqual([
      'GET payments/docs/cust-alice',
      'PUT payments/docs/cust-alice',
      'POST payments/docs',
    ]);
  });

  it('a retried booking or charge finds its document through the 409 and answers as before', async () => {
    const activities = activitiesAt(beforeDeadline, viaProxy);
    expect(await activities.doActivityC(input())).toEqual({ ok: true, ref: `shipment-${sagaId}` });
    expect(await activities.doActivityC(input())).toEqual({ ok: true, ref: `shipment-${sagaId}` });
    expect(await activities.doActivityB(input())).toEqual({ ok: true, ref: `payment-${sagaId}` });
    expect(await activities.doActivityB(input())).toEqual({ ok: true, ref: `payment-${sagaId}` });
    expect(await balance()).toBe(10_000 - 1_000);
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSagaActivities, SagaActivities } from '../../../src/functions/activities';
import { Order } from '../../../src/saga/orderInput';
import { AccountDocument, newAccountDocument } from '../../../src/services/payment';
import { newStockDocument, StockDocument } from '../../../src/services/inventory';
import { StoreError, TransientStoreError } from '../../../src/services/storeErrors';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { documentWritesTo, FaultyCosmosProxy, startFaultyCosmosProxy } from '../../support/faultyCosmosProxy';
import { createTestStores, openTestStores, TestStores } from '../../support/sagaTestStores';

// The activities as the orchestrator calls them, with the real Cosmos-protocol server behind a
// proxy that injects what data cannot: transient answers and replies lost after the commit.
// Business failures come back as results; transient ones are thrown (for callActivityWithRetry);
// and a retry after a lost reply finds the work done instead of doing it twice.

let server: CosmosTestServer;
let proxy: FaultyCosmosProxy;
let direct: TestStores;
let viaProxy: TestStores;
let activities: SagaActivities;

const order: Order = {
  customerId: 'cust-alice',
  currency: 'EUR',
  lines: [{ sku: 'SKU-KEYBOARD', quantity: 2, unitPriceCents: 1_000 }],
  shipTo: { name: 'Alice', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
};
let sagaCounter = 0;
let sagaId: string;
const input = () => ({ sagaId, order });

beforeAll(async () => {
  server = await startCosmosServer();
  direct = await createTestStores(server.endpoint, server.key);
  proxy = await startFaultyCosmosProxy(server.endpoint);
  viaProxy = await openTestStores(proxy.endpoint, server.key, direct.databaseId);
  activities = createSagaActivities(() => Promise.resolve(viaProxy.stores));
});

afterAll(async () => {
  direct.client.dispose();
  viaProxy.client.dispose();
  await proxy.stop();
  await server.stop();
});

beforeEach(async () => {
  sagaId = `saga-${++sagaCounter}`;
  await direct.stores.inventory.items.upsert(newStockDocument('SKU-KEYBOARD', 'Keyboard', 10));
  await direct.stores.payments.items.upsert(newAccountDocument('cust-alice', 'Alice', 'EUR', 10_000, 50_000));
});

afterEach(() => proxy.clear());

async function keyboardStock(): Promise<StockDocument | undefined> {
  return (await direct.stores.inventory.item('SKU-KEYBOARD', 'SKU-KEYBOARD').read<StockDocument>()).resource;
}

async function aliceBalance(): Promise<number | undefined> {
  return (await direct.stores.payments.item('cust-alice', 'cust-alice').read<AccountDocument>()).resource?.balanceCents;
}

describe('transient failures are thrown, to be retried', () => {
  it.each([[503], [408], [449]] as const)('a %i on the write: TransientStoreError, nothing changed', async (status) => {
    proxy.inject({ kind: { type: 'status', status }, matches: documentWritesTo('inventory') });

    const error = await activities.doActivityA(input()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TransientStoreError);
    expect(error).toMatchObject({ code: status });
    expect(await keyboardStock()).toMatchObject({ available: 10, reserved: 0 });
  });

  it('429 beyond what the Cosmos SDK retries itself: TransientStoreError', async () => {
    proxy.inject({ kind: { type: 'status', status: 429 }, times: 100, matches: documentWritesTo('payments') });

    await expect(activities.doActivityB(input())).rejects.toMatchObject({ name: 'TransientStoreError', code: 429 });
    expect(await aliceBalance()).toBe(10_000);
  });

  it('a throttle the SDK absorbs is invisible to the saga', async () => {
    proxy.inject({ kind: { type: 'status', status: 429 }, times: 2, matches: documentWritesTo('payments') });

    await expect(activities.doActivityB(input())).resolves.toEqual({ ok: true, ref: `payment-${sagaId}` });
    expect(await aliceBalance()).toBe(8_000);
  });

  it('the retry after a transient failure completes the step', async () => {
    proxy.inject({ kind: { type: 'status', status: 503 }, matches: documentWritesTo('inventory') });
    await expect(activities.doActivityA(input())).rejects.toBeInstanceOf(TransientStoreError);

    await expect(activities.doActivityA(input())).resolves.toEqual({ ok: true, ref: `reservation-${sagaId}` });
    expect(await keyboardStock()).toMatchObject({ available: 8, reserved: 2 });
  });
});

describe('a reply lost after the commit', () => {
  it('of the reservation: the attempt throws, the retry finds the hold and reserves exactly once', async () => {
    proxy.inject({ kind: { type: 'drop-reply' }, matches: documentWritesTo('inventory') });

    await expect(activities.doActivityA(input())).rejects.toMatchObject({
      name: 'TransientStoreError',
      code: 'ECONNRESET',
    });
    expect(proxy.served['drop-reply']).toBeGreaterThan(0);
    expect(await keyboardStock()).toMatchObject({ available: 8, reserved: 2 });

    await expect(activities.doActivityA(input())).resolves.toEqual({ ok: true, ref: `reservation-${sagaId}` });
    expect(await keyboardStock()).toMatchObject({ available: 8, reserved: 2 });
  });

  it('of the charge: the retry charges exactly once', async () => {
    proxy.inject({ kind: { type: 'drop-reply' }, matches: documentWritesTo('payments') });

    await expect(activities.doActivityB(input())).rejects.toBeInstanceOf(TransientStoreError);
    await expect(activities.doActivityB(input())).resolves.toEqual({ ok: true, ref: `payment-${sagaId}` });
    expect(await aliceBalance()).toBe(8_000);
  });

  it('of a step whose retries all failed: its compensation undoes what the lost reply hid', async () => {
    proxy.inject({ kind: { type: 'drop-reply' }, matches: documentWritesTo('payments') });
    await expect(activities.doActivityB(input())).rejects.toBeInstanceOf(TransientStoreError);
    expect(await aliceBalance()).toBe(8_000);

    await expect(activities.rejectActivityB(input())).resolves.toEqual({ effect: 'undone' });
    expect(await aliceBalance()).toBe(10_000);
  });

  it('of a compensation: the retry is a no-op', async () => {
    await activities.doActivityA(input());
    proxy.inject({ kind: { type: 'drop-reply' }, matches: documentWritesTo('inventory') });

    await expect(activities.rejectActivityA(input())).rejects.toBeInstanceOf(TransientStoreError);
    await expect(activities.rejectActivityA(input())).resolves.toEqual({ effect: 'nothing-to-undo' });
    expect(await keyboardStock()).toMatchObject({ available: 10, reserved: 0 });
  });
});

describe('business failures are returned, not thrown', () => {
  it('insufficient stock, insufficient funds, destination not served', async () => {
    const big = { ...order, lines: [{ sku: 'SKU-KEYBOARD', quantity: 11, unitPriceCents: 1_000 }] };
    await expect(activities.doActivityA({ sagaId, order: big })).resolves.toMatchObject({
      ok: false,
      reason: { code: 'insufficient-stock' },
    });
    await expect(activities.doActivityB({ sagaId, order: big })).resolves.toMatchObject({
      ok: false,
      reason: { code: 'insufficient-funds' },
    });
    const far = { ...order, shipTo: { ...order.shipTo, country: 'AQ' } };
    await expect(activities.doActivityC({ sagaId, order: far })).resolves.toMatchObject({
      ok: false,
      reason: { code: 'destination-not-served' },
    });
  });
});

describe('unexpected store errors', () => {
  it('are thrown as StoreError, named as not transient (e.g. 403 from a missing data-plane role)', async () => {
    proxy.inject({ kind: { type: 'status', status: 403 }, matches: documentWritesTo('inventory') });

    const error = await activities.doActivityA(input()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 403 });
  });

  it('reject input the activity cannot read', async () => {
    await expect(activities.doActivityA({ sagaId, order: { ...order, lines: [] } })).rejects.toMatchObject({
      name: 'ActivityInputError',
    });
    await expect(activities.recordIncident({ sagaId })).rejects.toMatchObject({ name: 'ActivityInputError' });
  });
});

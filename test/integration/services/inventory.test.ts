import { Container } from '@azure/cosmos';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OrderLine } from '../../../src/saga/orderInput';
import { newStockDocument, releaseStock, reserveStock, StockDocument } from '../../../src/services/inventory';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { createTestStores, TestStores } from '../../support/sagaTestStores';

// Step A against the real Cosmos-protocol server: idempotency, the fence left by a release, and
// concurrent sagas competing for the last units.

let server: CosmosTestServer;
let test: TestStores;
let inventory: Container;

beforeAll(async () => {
  server = await startCosmosServer();
  test = await createTestStores(server.endpoint, server.key);
  inventory = test.stores.inventory;
});

afterAll(async () => {
  test.client.dispose();
  await server.stop();
});

beforeEach(async () => {
  await Promise.all(
    [newStockDocument('SKU-KEYBOARD', 'Keyboard', 10), newStockDocument('SKU-MOUSE', 'Mouse', 3)].map((stock) =>
      inventory.items.upsert(stock),
    ),
  );
});

async function stock(sku: string): Promise<StockDocument> {
  const { resource } = await inventory.item(sku, sku).read<StockDocument>();
  if (resource === undefined) throw new Error(`no stock document ${sku}`);
  return resource;
}

async function counts(sku: string): Promise<{ available: number; reserved: number }> {
  const { available, reserved } = await stock(sku);
  return { available, reserved };
}

const line = (sku: string, quantity: number): OrderLine => ({ sku, quantity, unitPriceCents: 100 });

describe('reserveStock', () => {
  it('takes the quantities off available stock and remembers the hold under the saga id', async () => {
    const result = await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2), line('SKU-MOUSE', 1)]);

    expect(result).toEqual({ ok: true, reservationId: 'reservation-saga-1' });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 8, reserved: 2 });
    expect(await counts('SKU-MOUSE')).toEqual({ available: 2, reserved: 1 });
    expect((await stock('SKU-KEYBOARD')).holds['saga-1']).toMatchObject({ quantity: 2 });
  });

  it('twice has the effect of once', async () => {
    const first = await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);
    const second = await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);

    expect(second).toEqual(first);
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 8, reserved: 2 });
  });

  it('returns insufficient stock as a result, and takes back the lines it had already reserved', async () => {
    const result = await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2), line('SKU-MOUSE', 4)]);

    expect(result).toEqual({
      ok: false,
      reason: { code: 'insufficient-stock', message: 'SKU-MOUSE: 4 requested, 3 available' },
    });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 10, reserved: 0 });
    expect((await stock('SKU-KEYBOARD')).holds).toEqual({});
    expect(await counts('SKU-MOUSE')).toEqual({ available: 3, reserved: 0 });
  });

  it('returns an unknown SKU as a result and changes nothing', async () => {
    const result = await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 1), line('SKU-UNICORN', 1)]);

    expect(result).toMatchObject({ ok: false, reason: { code: 'unknown-sku' } });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 10, reserved: 0 });
  });

  it('never oversells: 20 concurrent sagas for the last 10 units reserve exactly 10', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => reserveStock(inventory, `saga-${index}`, [line('SKU-KEYBOARD', 1)])),
    );

    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect(results.filter((result) => !result.ok && result.reason.code === 'insufficient-stock')).toHaveLength(10);
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 0, reserved: 10 });
    expect(Object.keys((await stock('SKU-KEYBOARD')).holds)).toHaveLength(10);
  });

  it('never oversells when concurrent sagas want several SKUs and partial holds are taken back', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        reserveStock(inventory, `saga-${index}`, [line('SKU-KEYBOARD', 1), line('SKU-MOUSE', 1)]),
      ),
    );

    expect(results.filter((result) => result.ok)).toHaveLength(3);
    expect(await counts('SKU-MOUSE')).toEqual({ available: 0, reserved: 3 });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 7, reserved: 3 });
  });
});

describe('releaseStock', () => {
  it('gives the held units back', async () => {
    await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2), line('SKU-MOUSE', 1)]);
    const result = await releaseStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2), line('SKU-MOUSE', 1)]);

    expect(result).toEqual({ effect: 'undone' });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 10, reserved: 0 });
    expect(await counts('SKU-MOUSE')).toEqual({ available: 3, reserved: 0 });
  });

  it('twice has the effect of once', async () => {
    await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);
    await releaseStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);
    const second = await releaseStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);

    expect(second).toEqual({ effect: 'nothing-to-undo' });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 10, reserved: 0 });
  });

  it('of a reservation that never happened is a no-op that succeeds (also for unknown SKUs)', async () => {
    const result = await releaseStock(inventory, 'saga-never', [line('SKU-KEYBOARD', 2), line('SKU-UNICORN', 1)]);

    expect(result).toEqual({ effect: 'nothing-to-undo' });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 10, reserved: 0 });
  });

  it('fences the saga off: a reservation arriving after the release (a late duplicate) is refused', async () => {
    await releaseStock(inventory, 'saga-late', [line('SKU-KEYBOARD', 2)]);
    const late = await reserveStock(inventory, 'saga-late', [line('SKU-KEYBOARD', 2)]);

    expect(late).toMatchObject({ ok: false, reason: { code: 'reservation-cancelled' } });
    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 10, reserved: 0 });
  });

  it('leaves other sagas’ holds alone', async () => {
    await reserveStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);
    await reserveStock(inventory, 'saga-2', [line('SKU-KEYBOARD', 3)]);
    await releaseStock(inventory, 'saga-1', [line('SKU-KEYBOARD', 2)]);

    expect(await counts('SKU-KEYBOARD')).toEqual({ available: 7, reserved: 3 });
    expect(Object.keys((await stock('SKU-KEYBOARD')).holds)).toEqual(['saga-2']);
  });
});

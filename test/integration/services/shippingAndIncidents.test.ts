import { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order } from '../../../src/saga/orderInput';
import { incidentsOfSaga, recordIncident } from '../../../src/services/incidents';
import { bookShipment, cancelShipment, newZoneDocument, ShipmentDocument } from '../../../src/services/shipping';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { createTestStores, TestStores } from '../../support/sagaTestStores';

// Step C and the incident record against the real Cosmos-protocol server.

let server: CosmosTestServer;
let test: TestStores;
let shipments: Container;
let incidents: Container;

beforeAll(async () => {
  server = await startCosmosServer();
  test = await createTestStores(server.endpoint, server.key);
  shipments = test.stores.shipments;
  incidents = test.stores.incidents;
  await shipments.items.upsert(newZoneDocument('NL', 'PostNL'));
});

afterAll(async () => {
  test.client.dispose();
  await server.stop();
});

const order = (country: string): Pick<Order, 'shipTo' | 'lines'> => ({
  lines: [{ sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 8_999 }],
  shipTo: { name: 'Alice', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country },
});

async function shipment(sagaId: string): Promise<ShipmentDocument | undefined> {
  const id = `shipment-${sagaId}`;
  return (await shipments.item(id, id).read<ShipmentDocument>()).resource;
}

describe('bookShipment', () => {
  it('books with the carrier of the destination', async () => {
    expect(await bookShipment(shipments, 'saga-1', order('NL'))).toEqual({ ok: true, shipmentId: 'shipment-saga-1' });
    expect(await shipment('saga-1')).toMatchObject({
      status: 'booked',
      carrier: 'PostNL',
      lines: [{ sku: 'SKU-KEYBOARD', quantity: 1 }],
    });
  });

  it('twice has the effect of once', async () => {
    const first = await shipment('saga-1');
    expect(await bookShipment(shipments, 'saga-1', order('NL'))).toEqual({ ok: true, shipmentId: 'shipment-saga-1' });
    expect((await shipment('saga-1'))?.bookedAt).toBe(first?.bookedAt);
  });

  it('returns a destination we do not serve as a result and books nothing', async () => {
    expect(await bookShipment(shipments, 'saga-2', order('AQ'))).toEqual({
      ok: false,
      reason: { code: 'destination-not-served', message: 'we do not deliver to AQ' },
    });
    expect(await shipment('saga-2')).toBeUndefined();
  });

  it('books exactly one shipment when the same saga books concurrently', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => bookShipment(shipments, 'saga-3', order('NL'))));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(await shipment('saga-3')).toMatchObject({ status: 'booked' });
  });
});

describe('cancelShipment', () => {
  it('cancels a booking; twice has the effect of once', async () => {
    await bookShipment(shipments, 'saga-4', order('NL'));
    expect(await cancelShipment(shipments, 'saga-4')).toEqual({ effect: 'undone' });
    expect(await cancelShipment(shipments, 'saga-4')).toEqual({ effect: 'nothing-to-undo' });
    expect(await shipment('saga-4')).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
  });

  it('of a booking that never happened is a no-op that succeeds, and fences off a late booking', async () => {
    expect(await cancelShipment(shipments, 'saga-5')).toEqual({ effect: 'nothing-to-undo' });
    expect(await bookShipment(shipments, 'saga-5', order('NL'))).toMatchObject({
      ok: false,
      reason: { code: 'shipment-cancelled' },
    });
  });
});

describe('recordIncident', () => {
  const incident = {
    sagaId: 'saga-9',
    step: 'B' as const,
    activity: 'rejectActivityB',
    error: "Activity function 'rejectActivityB' failed: TransientStoreError",
    at: '2025-03-01T10:00:00.000Z',
  };

  it('writes saga id, step, error and time', async () => {
    expect(await recordIncident(incidents, incident)).toEqual({ incidentId: 'incident-saga-9-B' });
    expect(await incidentsOfSaga(incidents, 'saga-9')).toEqual([
      expect.objectContaining({ ...incident, id: 'incident-saga-9-B', status: 'open', recordedAt: expect.any(String) }),
    ]);
  });

  it('twice writes one document', async () => {
    await recordIncident(incidents, incident);
    expect(await incidentsOfSaga(incidents, 'saga-9')).toHaveLength(1);
  });
});

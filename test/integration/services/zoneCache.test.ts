import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newZoneDocument, ZoneDocument } from '../../../src/services/shipping';
import { cachedZone, zoneCacheExpiryMs } from '../../../src/services/zoneCache';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { FaultyCosmosProxy, startFaultyCosmosProxy } from '../../support/faultyCosmosProxy';
import { createTestStores, openTestStores, TestStores } from '../../support/sagaTestStores';

// The delivery zones, cached per process with a short expiry, against the real Cosmos-protocol
// server (reads counted through the proxy).

let server: CosmosTestServer;
let proxy: FaultyCosmosProxy;
let direct: TestStores;
let viaProxy: TestStores;

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

const zoneReads = (id: string): number => proxy.requests.filter((r) => r.path.endsWith(`/docs/${id}`)).length;

describe('cachedZone', () => {
  it('reads a zone once while it is fresh, and again once it has expired', async () => {
    const t0 = 1_000_000;
    const zone = await cachedZone<ZoneDocument>(viaProxy.stores.shipments, 'zone-NL', t0);
    expect(zone).toMatchObject({ country: 'NL', carrier: 'PostNL' });
    await cachedZone<ZoneDocument>(viaProxy.stores.shipments, 'zone-NL', t0 + zoneCacheExpiryMs - 1);
    expect(zoneReads('zone-NL')).toBe(1);

    await cachedZone<ZoneDocument>(viaProxy.stores.shipments, 'zone-NL', t0 + zoneCacheExpiryMs);
    expect(zoneReads('zone-NL')).toBe(2);
  });

  it('remembers a country we do not serve for as long, then notices a zone added meanwhile', async () => {
    const t0 = 2_000_000;
    expect(await cachedZone<ZoneDocument>(viaProxy.stores.shipments, 'zone-BE', t0)).toBeUndefined();
    await direct.stores.shipments.items.upsert(newZoneDocument('BE', 'bpost'));
    expect(await cachedZone<ZoneDocument>(viaProxy.stores.shipments, 'zone-BE', t0 + 1)).toBeUndefined();
    expect(zoneReads('zone-BE')).toBe(1);

    expect(await cachedZone<ZoneDocument>(viaProxy.stores.shipments, 'zone-BE', t0 + zoneCacheExpiryMs)).toMatchObject({
      carrier: 'bpost',
    });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCosmosClient, CosmosSettings, sharedSagaStores } from '../../../src/services/cosmosClient';
import { openSagaStores, sagaContainerDefinitions } from '../../../src/services/containers';
import { StockDocument } from '../../../src/services/inventory';
import { demoAccounts, demoStock, demoZones, seedDemoData } from '../../../src/services/seedData';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';

let server: CosmosTestServer;

beforeAll(async () => {
  server = await startCosmosServer();
});

afterAll(async () => {
  await server.stop();
});

function settings(databaseId = `seed-${randomUUID()}`): CosmosSettings {
  return { endpoint: server.endpoint, key: server.key, databaseId };
}

describe('seedDemoData', () => {
  it('creates the database and the containers with their partition keys, and loads the demo data', async () => {
    const target = settings();
    const report = await seedDemoData({ settings: target });

    expect(report).toEqual({
      endpoint: server.endpoint,
      databaseId: target.databaseId,
      containers: ['inventory', 'payments', 'shipments', 'incidents'],
      written: demoStock.length + demoAccounts.length + demoZones.length,
      kept: 0,
    });
    const client = createCosmosClient(target);
    for (const definition of Object.values(sagaContainerDefinitions)) {
      const { resource } = await client.database(target.databaseId).container(definition.id).read();
      expect(resource?.partitionKey?.paths).toEqual([definition.partitionKeyPath]);
    }
    client.dispose();
  });

  it('keeps what is there when run again, unless asked to reset', async () => {
    const target = settings();
    await seedDemoData({ settings: target });
    const client = createCosmosClient(target);
    const keyboards = client.database(target.databaseId).container('inventory').item('SKU-KEYBOARD', 'SKU-KEYBOARD');
    const sold = (await keyboards.read<StockDocument>()).resource;
    if (sold === undefined) throw new Error('not seeded');
    await keyboards.replace({ ...sold, available: 1 });

    expect(await seedDemoData({ settings: target })).toMatchObject({ written: 0, kept: 11 });
    expect((await keyboards.read<StockDocument>()).resource?.available).toBe(1);

    expect(await seedDemoData({ settings: target, reset: true })).toMatchObject({ written: 11, kept: 0 });
    expect((await keyboards.read<StockDocument>()).resource?.available).toBe(25);
    client.dispose();
  });

  it('reads COSMOS_ENDPOINT, COSMOS_KEY and COSMOS_DATABASE when given no settings', async () => {
    const databaseId = `seed-${randomUUID()}`;
    const report = await seedDemoData(
      {},
      { COSMOS_ENDPOINT: server.endpoint, COSMOS_KEY: server.key, COSMOS_DATABASE: databaseId },
    );
    expect(report.databaseId).toBe(databaseId);
  });
});

describe('opening the containers', () => {
  it('fails with a message that says how to create them when the database is not seeded', async () => {
    const client = createCosmosClient(settings());
    await expect(openSagaStores(client, 'never-seeded')).rejects.toThrow(
      /container "\w+" does not exist in database "never-seeded": run `npm run seed`/,
    );
    client.dispose();
  });

  it('happens once per process for the activities, from the process settings', async () => {
    const target = settings();
    await seedDemoData({ settings: target });
    const env = { COSMOS_ENDPOINT: target.endpoint, COSMOS_KEY: server.key, COSMOS_DATABASE: target.databaseId };

    const first = await sharedSagaStores(env);
    expect(await sharedSagaStores(env)).toBe(first);
    expect(first.inventory.id).toBe('inventory');
  });
});

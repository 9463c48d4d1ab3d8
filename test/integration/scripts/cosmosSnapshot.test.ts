import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSnapshotFile, restoreSnapshot, takeSnapshot, writeSnapshotFile } from '../../../scripts/cosmosSnapshot';
import { cosmosClientOptions, readCosmosSettings } from '../../../src/services/cosmosClient';
import { seedDemoData } from '../../../src/services/seedData';
import { startCosmosServer, type CosmosTestServer } from '../../support/cosmosServer';

// npm start's Cosmos data outlives a restart through a snapshot taken over the Cosmos protocol:
// what one server held is what a fresh one holds after the restore.
let first: CosmosTestServer;
let second: CosmosTestServer;
const clients: CosmosClient[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-snapshot-'));

function clientFor(server: CosmosTestServer): CosmosClient {
  const client = new CosmosClient(
    cosmosClientOptions(readCosmosSettings({ COSMOS_ENDPOINT: server.endpoint, COSMOS_KEY: server.key })),
  );
  clients.push(client);
  return client;
}

beforeAll(async () => {
  first = await startCosmosServer();
  second = await startCosmosServer();
});

afterAll(async () => {
  for (const client of clients) client.dispose();
  await first?.stop();
  await second?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a snapshot of the embedded Cosmos server', () => {
  it('restores every database, container and document, changes included, into a fresh server', async () => {
    const source = clientFor(first);
    await seedDemoData({
      settings: readCosmosSettings({ COSMOS_ENDPOINT: first.endpoint, COSMOS_KEY: first.key }),
      client: source,
    });
    const inventory = source.database('durable-saga').container('inventory');
    const { resource: keyboard } = await inventory.item('SKU-KEYBOARD', 'SKU-KEYBOARD').read<{ available: number }>();
    await inventory.items.upsert({ ...keyboard, available: 24 });
    await source
      .database('durable-saga')
      .container('payments')
      .items.create({ id: 'payment-x', accountId: 'cust-alice', amountCents: 100 });

    const taken = await takeSnapshot(source);
    const file = path.join(dir, 'data.json');
    writeSnapshotFile(file, JSON.stringify(taken));
    expect(fs.readdirSync(dir)).toEqual(['data.json']);

    const target = clientFor(second);
    await restoreSnapshot(target, readSnapshotFile(file)!);
    expect(await takeSnapshot(target)).toEqual(taken);
    const { resource: restored } = await target
      .database('durable-saga')
      .container('inventory')
      .item('SKU-KEYBOARD', 'SKU-KEYBOARD')
      .read<{ available: number }>();
    expect(restored?.available).toBe(24);
    const partitionKeys = taken.databases[0].containers.map((c) => [c.id, c.partitionKey?.paths]);
    expect(partitionKeys).toEqual([
      ['incidents', ['/sagaId']],
      ['inventory', ['/sku']],
      ['payments', ['/accountId']],
      ['shipments', ['/id']],
    ]);
  });

  it('refuses a file that is not a snapshot instead of starting from nothing', () => {
    const file = path.join(dir, 'other.json');
    fs.writeFileSync(file, '{"hello":1}');
    expect(() => readSnapshotFile(file)).toThrow(/not a Cosmos snapshot/);
  });
});

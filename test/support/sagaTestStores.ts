import { randomUUID } from 'node:crypto';
import { CosmosClient, CosmosClientOptions } from '@azure/cosmos';
import { createCosmosClient } from '../../src/services/cosmosClient';
import { ensureSagaContainers, openSagaStores, SagaStores } from '../../src/services/containers';

// A fresh database with the saga's containers on a test Cosmos server, through the app's own
// client factory, so tests exercise the same client options as the app.

export interface TestStores {
  readonly stores: SagaStores;
  readonly client: CosmosClient;
  readonly databaseId: string;
}

export async function createTestStores(
  endpoint: string,
  key: string,
  databaseId = `test-${randomUUID()}`,
): Promise<TestStores> {
  const client = createCosmosClient({ endpoint, key, databaseId });
  const stores = await ensureSagaContainers(client, databaseId);
  return { stores, client, databaseId };
}

/** The same containers through another endpoint (e.g. the faulty proxy), with client overrides. */
export async function openTestStores(
  endpoint: string,
  key: string,
  databaseId: string,
  overrides: Partial<CosmosClientOptions> = {},
): Promise<TestStores> {
  const client = createCosmosClient({ endpoint, key, databaseId }, overrides);
  return { stores: await openSagaStores(client, databaseId), client, databaseId };
}

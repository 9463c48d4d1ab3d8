import { Container, CosmosClient } from '@azure/cosmos';
import { AppSettings } from '../saga/settingsReader';
import { createCosmosClient, CosmosSettings, readCosmosSettings } from './cosmosClient';
import { ensureSagaContainers, SagaStores } from './containers';
import { newStockDocument, StockDocument } from './inventory';
import { AccountDocument, newAccountDocument } from './payment';
import { newZoneDocument, ZoneDocument } from './shipping';
import { statusCodeOf, storeFailure } from './storeErrors';

// The demo data the README's walk-through and the examples/orders files rely on. Loaded by the
// explicit seed command (and by test and start scripts), never on every start of the app: seeding
// a real account would overwrite real balances.

export const demoStock: readonly StockDocument[] = [
  newStockDocument('SKU-KEYBOARD', 'Mechanical keyboard', 25),
  newStockDocument('SKU-MOUSE', 'Wireless mouse', 50),
  newStockDocument('SKU-MONITOR', '27-inch monitor', 5),
  // Sold out: orders for it are rejected at step A.
  newStockDocument('SKU-LAMP', 'Desk lamp', 0),
];

export const demoAccounts: readonly AccountDocument[] = [
  newAccountDocument('cust-alice', 'Alice Example', 'EUR', 500_000, 200_000),
  newAccountDocument('cust-bob', 'Bob Example', 'EUR', 150_000, 100_000),
  // Ten euros: orders of more are rejected at step B with insufficient-funds.
  newAccountDocument('cust-poor', 'Pat Poor', 'EUR', 1_000, 100_000),
];

/** Countries we deliver to. Anything else is rejected at step C with destination-not-served. */
export const demoZones: readonly ZoneDocument[] = [
  newZoneDocument('NL', 'PostNL'),
  newZoneDocument('BE', 'bpost'),
  newZoneDocument('DE', 'DHL'),
  newZoneDocument('FR', 'Colissimo'),
];

export interface SeedOptions {
  /** Defaults to the process settings (COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_DATABASE). */
  readonly settings?: CosmosSettings;
  /** Reuse a client (tests); otherwise one is created and closed. */
  readonly client?: CosmosClient;
  /** Overwrite existing demo documents, e.g. to refill stock after a demo. */
  readonly reset?: boolean;
}

export interface SeedReport {
  readonly endpoint: string;
  readonly databaseId: string;
  readonly containers: readonly string[];
  readonly written: number;
  /** Documents that existed and were left as they were (without reset). */
  readonly kept: number;
}

/**
 * Creates the database and containers if missing and loads the demo data. Safe to run again:
 * without `reset` existing documents (and the stock already sold) are kept.
 */
export async function seedDemoData(
  options: SeedOptions = {},
  processSettings: AppSettings = process.env,
): Promise<SeedReport> {
  const settings = options.settings ?? readCosmosSettings(processSettings);
  const client = options.client ?? createCosmosClient(settings);
  try {
    const stores = await ensureSagaContainers(client, settings.databaseId);
    const counts = await loadDemoDocuments(stores, options.reset ?? false);
    return {
      endpoint: settings.endpoint,
      databaseId: settings.databaseId,
      containers: Object.values(stores).map((container: Container) => container.id),
      ...counts,
    };
  } finally {
    if (options.client === undefined) client.dispose();
  }
}

async function loadDemoDocuments(stores: SagaStores, reset: boolean): Promise<{ written: number; kept: number }> {
  const writes = [
    ...demoStock.map((document) => write(stores.inventory, document, reset)),
    ...demoAccounts.map((document) => write(stores.payments, document, reset)),
    ...demoZones.map((document) => write(stores.shipments, document, reset)),
  ];
  const results = await Promise.all(writes);
  const written = results.filter((result) => result === 'written').length;
  return { written, kept: results.length - written };
}

async function write(container: Container, document: { id: string }, reset: boolean): Promise<'written' | 'kept'> {
  try {
    if (reset) await container.items.upsert(document);
    else await container.items.create(document);
    return 'written';
  } catch (error) {
    if (!reset && statusCodeOf(error) === 409) return 'kept';
    throw storeFailure(`seed ${container.id}/${document.id}`, error);
  }
}

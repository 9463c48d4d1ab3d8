import { Container, CosmosClient } from '@azure/cosmos';
import { StoreError, storeFailure } from './storeErrors';

// One container per service (database-per-service in miniature): each step's local transaction
// touches only its own container. Containers are created by the seed command (locally) or at
// deployment (in Azure): Microsoft Entra data-plane roles cannot create containers, so the app
// only checks at first use that they exist and says what to run when they do not.

export interface SagaStores {
  readonly inventory: Container;
  readonly payments: Container;
  readonly shipments: Container;
  readonly incidents: Container;
}

export type SagaStoreName = keyof SagaStores;

export interface ContainerDefinition {
  readonly id: string;
  readonly partitionKeyPath: string;
}

export const sagaContainerDefinitions: Readonly<Record<SagaStoreName, ContainerDefinition>> = {
  inventory: { id: 'inventory', partitionKeyPath: '/sku' },
  payments: { id: 'payments', partitionKeyPath: '/accountId' },
  shipments: { id: 'shipments', partitionKeyPath: '/id' },
  incidents: { id: 'incidents', partitionKeyPath: '/sagaId' },
};

async function forEachStore(open: (definition: ContainerDefinition) => Promise<Container>): Promise<SagaStores> {
  const definitions = sagaContainerDefinitions;
  const [inventory, payments, shipments, incidents] = await Promise.all([
    open(definitions.inventory),
    open(definitions.payments),
    open(definitions.shipments),
    open(definitions.incidents),
  ]);
  return { inventory, payments, shipments, incidents };
}

/** Creates the database and containers where missing (key auth only); returns them. */
export async function ensureSagaContainers(client: CosmosClient, databaseId: string): Promise<SagaStores> {
  try {
    const { database } = await client.databases.createIfNotExists({ id: databaseId });
    return await forEachStore(async (definition) => {
      const { container } = await database.containers.createIfNotExists({
        id: definition.id,
        partitionKey: { paths: [definition.partitionKeyPath] },
      });
      return container;
    });
  } catch (error) {
    throw storeFailure(`create containers in ${databaseId}`, error);
  }
}

/** Opens the existing containers, failing with a message that says how to create them. */
export async function openSagaStores(client: CosmosClient, databaseId: string): Promise<SagaStores> {
  const database = client.database(databaseId);
  return forEachStore(async (definition) => {
    const container = database.container(definition.id);
    let statusCode: number;
    try {
      ({ statusCode } = await container.read());
    } catch (error) {
      const failure = storeFailure(`open container ${definition.id}`, error);
      if (failure.code !== 404) throw failure;
      statusCode = 404;
    }
    if (statusCode === 404) {
      throw new StoreError(
        `open container ${definition.id}`,
        404,
        `container "${definition.id}" does not exist in database "${databaseId}": ` +
          'run `npm run seed` locally, or create the containers at deployment (see docs/running-and-deploying.md)',
      );
    }
    return container;
  });
}

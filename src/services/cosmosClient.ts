import { CosmosClient, CosmosClientOptions } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import { AppSettings, SettingsError } from '../saga/settingsReader';
import { openSagaStores, SagaStores } from './containers';

// One CosmosClient per process, built from the app settings. With COSMOS_KEY the account key is
// used (the local server and the emulator); without it, Microsoft Entra ID through
// DefaultAzureCredential (a managed identity in Azure, your az login on a laptop).

export const cosmosSettingNames = {
  endpoint: 'COSMOS_ENDPOINT',
  key: 'COSMOS_KEY',
  database: 'COSMOS_DATABASE',
} as const;

export const defaultCosmosDatabase = 'durable-saga';

export interface CosmosSettings {
  readonly endpoint: string;
  /** Absent: authenticate with Microsoft Entra ID instead of a key. */
  readonly key?: string;
  readonly databaseId: string;
}

export function readCosmosSettings(settings: AppSettings): CosmosSettings {
  const endpoint = settings[cosmosSettingNames.endpoint]?.trim() ?? '';
  const problems: string[] = [];
  if (endpoint === '') problems.push(`${cosmosSettingNames.endpoint} is not set`);
  else if (!/^https?:\/\/[^\s]+$/.test(endpoint)) {
    problems.push(`${cosmosSettingNames.endpoint}="${endpoint}" is not an http(s) URL`);
  }
  if (problems.length > 0) throw new SettingsError(problems);
  const key = settings[cosmosSettingNames.key]?.trim();
  const databaseId = settings[cosmosSettingNames.database]?.trim() || defaultCosmosDatabase;
  return { endpoint, databaseId, ...(key ? { key } : {}) };
}

/**
 * The options the app uses. Plain-http endpoints (the local Cosmos-protocol server) need endpoint
 * discovery off: with it on, the SDK follows the https address the server advertises and fails.
 */
export function cosmosClientOptions(
  settings: CosmosSettings,
  overrides: Partial<CosmosClientOptions> = {},
): CosmosClientOptions {
  const plainHttp = settings.endpoint.startsWith('http://');
  return {
    endpoint: settings.endpoint,
    ...(settings.key !== undefined ? { key: settings.key } : { aadCredentials: new DefaultAzureCredential() }),
    userAgentSuffix: 'durable-saga',
    ...overrides,
    connectionPolicy: {
      enableEndpointDiscovery: !plainHttp,
      // Bounded, so a hung request becomes a transient error the activity retry can handle.
      requestTimeout: 10_000,
      ...overrides.connectionPolicy,
    },
  };
}

export function createCosmosClient(
  settings: CosmosSettings,
  overrides: Partial<CosmosClientOptions> = {},
): CosmosClient {
  return new CosmosClient(cosmosClientOptions(settings, overrides));
}

let shared: Promise<SagaStores> | undefined;

/**
 * The containers the activities use, opened once per process from the process settings. A failed
 * open is forgotten, so the next activity attempt tries again (e.g. once the database is seeded).
 */
export function sharedSagaStores(settings: AppSettings = process.env): Promise<SagaStores> {
  if (shared === undefined) {
    const cosmos = readCosmosSettings(settings);
    const opening = openSagaStores(createCosmosClient(cosmos), cosmos.databaseId);
    shared = opening;
    opening.catch(() => {
      if (shared === opening) shared = undefined;
    });
  }
  return shared;
}

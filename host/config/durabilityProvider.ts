import { appSetting } from './appSettings';
import { StartupError } from './startupError';

/**
 * host.json `extensions.durableTask` as the Durable extension reads it to pick a durability provider
 * (DurableTaskExtension.GetDurabilityProviderFactory) and name the task hub. This host has one
 * store, Azure Storage; an app configured for another provider runs on it as a deliberate local
 * substitution (app code never depends on the provider), said in one line at start.
 */
export interface DurableTaskJson {
  hubName?: string;
  storageProvider?: { type?: string; connectionStringName?: string; connectionName?: string };
}

export interface TaskHubSettings {
  hubName: string;
  /** The app setting holding the Azure Storage connection the task hub lives in. */
  storageConnectionName: string;
  /** Set when host.json names another provider: the line that says what this host does instead. */
  substitution?: string;
}

/** The providers the extension and its companion packages register, by their factory names. */
const PROVIDERS = ['AzureStorage', 'mssql', 'Netherite', 'azureManaged'] as const;
type Provider = (typeof PROVIDERS)[number];

const DEFAULT_HUB = 'TestHubName';
const SCHEDULER_CONNECTION = 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING';
/** An Azure Storage task hub name: its tables, queues and containers are named after it. */
const HUB_NAME = /^[A-Za-z][A-Za-z0-9]{2,44}$/;

/** `%NAME%` in hubName is an app setting, as the extension resolves it (INameResolver). */
function resolvedHubName(raw: string, env: NodeJS.ProcessEnv): string {
  return raw.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = appSetting(env, name);
    if (value === undefined)
      throw new StartupError(
        `host.json extensions.durableTask.hubName "${raw}" names the app setting ${name}, which is not set (local.settings.json Values or the environment).`,
      );
    return value;
  });
}

/** `TaskHub=` of a Durable Task Scheduler connection string (`Endpoint=...;Authentication=...;TaskHub=...`). */
function schedulerTaskHub(connectionString: string): string | undefined {
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim().toLowerCase() === 'taskhub') return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}

function providerOf(type: string | undefined): Provider {
  if (type === undefined || type === '') return 'AzureStorage';
  const found = PROVIDERS.find((p) => p.toLowerCase() === type.toLowerCase());
  if (!found)
    throw new StartupError(
      `host.json extensions.durableTask.storageProvider.type: Storage provider type (${type}) was not found. Available storage providers: ${PROVIDERS.join(', ')}.`,
    );
  return found;
}

export function taskHubSettings(durableTask: DurableTaskJson, env: NodeJS.ProcessEnv): TaskHubSettings {
  const provider = providerOf(durableTask.storageProvider?.type);
  const connectionName =
    durableTask.storageProvider?.connectionStringName ?? durableTask.storageProvider?.connectionName;
  const configured = durableTask.hubName === undefined ? undefined : resolvedHubName(durableTask.hubName, env);
  if (provider === 'AzureStorage') {
    const hubName = configured ?? DEFAULT_HUB;
    if (!HUB_NAME.test(hubName))
      throw new StartupError(
        `host.json extensions.durableTask.hubName "${hubName}" is not a valid task hub name: 3 to 45 letters and digits, starting with a letter.`,
      );
    return { hubName, storageConnectionName: connectionName ?? 'AzureWebJobsStorage' };
  }

  let hubName = configured;
  if (hubName === undefined && provider === 'azureManaged') {
    const setting = connectionName ?? SCHEDULER_CONNECTION;
    const connection = appSetting(env, setting);
    hubName = connection === undefined ? undefined : schedulerTaskHub(connection);
    if (hubName === undefined)
      throw new StartupError(
        connection === undefined
          ? `host.json extensions.durableTask selects the azureManaged provider with no hubName, and its connection setting ${setting} is not set (local.settings.json Values or the environment).`
          : `host.json extensions.durableTask selects the azureManaged provider with no hubName, and the connection string in ${setting} has no TaskHub=.`,
      );
  }
  hubName ??= DEFAULT_HUB;
  // Other providers allow names Azure Storage does not (the scheduler's "my-hub"); the local hub keeps its letters and digits.
  const local = hubName.replace(/[^A-Za-z0-9]/g, '');
  if (!HUB_NAME.test(local))
    throw new StartupError(
      `The ${provider} task hub "${hubName}" has no Azure Storage form for this host: it needs 3 to 45 letters and digits, starting with a letter.`,
    );
  return {
    hubName: local,
    storageConnectionName: 'AzureWebJobsStorage',
    substitution: `host.json selects the ${provider} storage provider; this local host keeps task hub ${local}${local === hubName ? '' : ` ("${hubName}")`} in Azure Storage (AzureWebJobsStorage) instead. The app runs unchanged; on Azure the ${provider} provider is used.`,
  };
}

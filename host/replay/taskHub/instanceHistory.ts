import type { RecordedHistory } from '../history/recordedHistory';
import { HistorySourceError } from '../historySourceError';
import { azureStorageHistoryTable, readAzureStorageLayoutHistory } from './azureStorageLayoutHistory';
import { hostLayoutTable, readHostLayoutHistory } from './hostLayoutHistory';
import { StorageAccount } from './storageAccount';

/**
 * `host`: the task hub of this project's local host (one `<hub>TaskHub` table, LogStructuredTaskHubStore).
 * `azure-storage`: a deployed app's hub, the Durable Task Azure Storage provider's `<hub>History`.
 */
export type TaskHubLayout = 'host' | 'azure-storage';
export const taskHubLayouts: readonly TaskHubLayout[] = ['host', 'azure-storage'];

export interface InstanceLocation {
  /** A connection string, or `UseDevelopmentStorage=true`. */
  connection: string;
  hubName: string;
  instanceId: string;
  /** Which layout to read; by default whichever the hub has (both are tried if both exist). */
  layout?: TaskHubLayout;
}

const LAYOUT_TABLE: Record<TaskHubLayout, (hub: string) => string> = {
  host: hostLayoutTable,
  'azure-storage': azureStorageHistoryTable,
};
const LAYOUT_WORDS: Record<TaskHubLayout, string> = {
  host: "this host's layout",
  'azure-storage': 'Azure Storage provider layout',
};

function read(
  layout: TaskHubLayout,
  account: StorageAccount,
  location: InstanceLocation,
): Promise<RecordedHistory | undefined> {
  return layout === 'host'
    ? readHostLayoutHistory(account, location.hubName, location.instanceId)
    : readAzureStorageLayoutHistory(account, location.hubName, location.instanceId);
}

/** Reads an instance's current execution from a task hub, finding out which layout the hub has. */
export async function readInstanceHistory(
  location: InstanceLocation,
): Promise<RecordedHistory & { layout: TaskHubLayout }> {
  const account = StorageAccount.fromSetting(location.connection);
  // Table names are case-insensitive in Azure Storage (not in Azurite), and hub names are typed by
  // hand: match them ignoring case, then use the hub name as the tables spell it.
  const tables = new Map((await account.tableNames()).map((name) => [name.toLowerCase(), name]));
  const candidates = location.layout ? [location.layout] : taskHubLayouts;
  const present = candidates.filter((layout) => tables.has(LAYOUT_TABLE[layout](location.hubName).toLowerCase()));
  const looked = candidates
    .map((layout) => `${LAYOUT_TABLE[layout](location.hubName)} (${LAYOUT_WORDS[layout]})`)
    .join(' or ');
  if (present.length === 0) {
    throw new HistorySourceError(
      'hub-not-found',
      `Task hub '${location.hubName}' does not exist at ${account.tableEndpoint}: there is no table ${looked}.`,
    );
  }
  const found: (RecordedHistory & { layout: TaskHubLayout })[] = [];
  for (const layout of present) {
    const table = tables.get(LAYOUT_TABLE[layout](location.hubName).toLowerCase()) ?? '';
    const hubName = table.slice(0, table.length - LAYOUT_TABLE[layout]('').length);
    const history = await read(layout, account, { ...location, hubName });
    if (history) found.push({ ...history, layout });
  }
  if (found.length === 0) {
    throw new HistorySourceError(
      'instance-not-found',
      `Task hub '${location.hubName}' has no instance '${location.instanceId}' (looked in ${present.map((l) => LAYOUT_TABLE[l](location.hubName)).join(' and ')}).`,
    );
  }
  if (found.length > 1) {
    throw new HistorySourceError(
      'ambiguous-layout',
      `Task hub '${location.hubName}' holds instance '${location.instanceId}' in both layouts; choose one with --layout host or --layout azure-storage.`,
    );
  }
  return found[0];
}

import { gunzipSync } from 'node:zlib';
import { RestError } from '@azure/data-tables';
import { odata } from '../../store/tableKeys';
import { recordedHistory, type RecordedHistory } from '../history/recordedHistory';
import { HistorySourceError } from '../historySourceError';
import type { StorageAccount } from './storageAccount';

/**
 * Reads a deployed app's history from the Durable Task Azure Storage provider's `<hub>History`
 * table (spec §9): one row per event, RowKey = position as 16 hex digits, enums stored as names,
 * Timestamp as `_Timestamp`, complex members as JSON text, large values gzipped in blobs.
 */

export function azureStorageHistoryTable(hubName: string): string {
  return `${hubName}History`;
}

/** DTFx KeySanitation.EscapePartitionKey, per UTF-16 unit as .NET does it. */
export function escapePartitionKey(instanceId: string): string {
  let out = '';
  for (let i = 0; i < instanceId.length; i++) {
    const c = instanceId[i];
    const code = instanceId.charCodeAt(i);
    if (c === '^') out += '^^';
    else if (c === '/') out += '^0';
    else if (c === '\\') out += '^1';
    else if (c === '#') out += '^2';
    else if (c === '?') out += '^3';
    else if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) out += '^' + String.fromCharCode(0xc0 + code);
    else out += c;
  }
  return out;
}

const SENTINEL = 'sentinel';
const BLOB_SUFFIX = 'BlobName';
/** Row columns that are not members of the event. */
const NOT_EVENT_MEMBERS = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'ExecutionId']);
/** Members DTFx stores as JSON text because tables have no nested values. */
const COMPLEX_MEMBERS = new Set([
  'OrchestrationInstance',
  'ParentInstance',
  'Tags',
  'FailureDetails',
  'ParentTraceContext',
]);

/** A column read without type conversion: the service's text plus its EDM type. */
interface TypedValue {
  value: string;
  type: string;
}
type RawRow = Record<string, unknown> & { partitionKey: string; rowKey: string };

function isTyped(value: unknown): value is TypedValue {
  return typeof value === 'object' && value !== null && 'value' in value && 'type' in value;
}

/** Keeps dates as the service's text (7 fractional digits, like the extension sends them). */
function columnValue(value: unknown): unknown {
  if (!isTyped(value)) return value;
  switch (value.type) {
    case 'Boolean':
      return value.value === 'true';
    case 'Int32':
    case 'Int64':
    case 'Double':
      return Number(value.value);
    default:
      return value.value;
  }
}

async function readBlobText(account: StorageAccount, containerName: string, blobName: string): Promise<string> {
  const buffer = await account.call(`reading blob ${containerName}/${blobName}`, async (abortSignal) => {
    try {
      return await account
        .container(containerName)
        .getBlobClient(blobName)
        .downloadToBuffer(undefined, undefined, { abortSignal });
    } catch (error) {
      if (error instanceof Error && 'statusCode' in error && error.statusCode === 404) {
        throw new Error(`The history refers to blob ${blobName} in container ${containerName}, which does not exist.`, {
          cause: error,
        });
      }
      throw error;
    }
  });
  // DTFx gzips what it moves to blobs; accept a plain blob too.
  const text = buffer.length >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b ? gunzipSync(buffer) : buffer;
  return text.toString('utf8');
}

async function rowToEvent(
  account: StorageAccount,
  containerName: string,
  row: RawRow,
): Promise<Record<string, unknown>> {
  const event: Record<string, unknown> = {};
  const blobs: [string, string][] = [];
  for (const [column, raw] of Object.entries(row)) {
    if (NOT_EVENT_MEMBERS.has(column)) continue;
    const value = columnValue(raw);
    if (column.endsWith(BLOB_SUFFIX) && column.length > BLOB_SUFFIX.length) {
      if (typeof value === 'string' && value.length > 0) blobs.push([column.slice(0, -BLOB_SUFFIX.length), value]);
      continue;
    }
    if (column === '_Timestamp') event.Timestamp = value;
    else if (COMPLEX_MEMBERS.has(column) && typeof value === 'string' && value.length > 0)
      event[column] = JSON.parse(value) as unknown;
    else event[column] = value;
  }
  for (const [member, blobName] of blobs) event[member] = await readBlobText(account, containerName, blobName);
  return event;
}

async function instanceExecutionId(
  account: StorageAccount,
  hubName: string,
  partitionKey: string,
): Promise<string | undefined> {
  return account.call('reading the Instances row', async (abortSignal) => {
    try {
      const row = await account.table(`${hubName}Instances`).getEntity(partitionKey, '', { abortSignal });
      return typeof row.ExecutionId === 'string' && row.ExecutionId.length > 0 ? row.ExecutionId : undefined;
    } catch (error) {
      // No Instances table or row: the History rows alone still tell the execution.
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  });
}

/**
 * The instance's current execution, or undefined when the hub has no rows for it. The execution is
 * the Instances row's ExecutionId, else that of the first history row (DTFx overwrites rows from
 * position 0 on continue-as-new, so rows of older executions can linger at higher positions).
 */
export async function readAzureStorageLayoutHistory(
  account: StorageAccount,
  hubName: string,
  instanceId: string,
): Promise<RecordedHistory | undefined> {
  const partitionKey = escapePartitionKey(instanceId);
  const rows = await account.call(`reading ${azureStorageHistoryTable(hubName)}`, async (abortSignal) => {
    const found: RawRow[] = [];
    const listing = account.table(azureStorageHistoryTable(hubName)).listEntities({
      queryOptions: { filter: `PartitionKey eq ${odata(partitionKey)}` },
      disableTypeConversion: true,
      abortSignal,
    });
    for await (const row of listing) found.push(row as RawRow);
    return found;
  });
  const events = rows
    .filter((r) => r.rowKey !== SENTINEL)
    .sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  if (events.length === 0) return undefined;
  const executionId =
    (await instanceExecutionId(account, hubName, partitionKey)) ?? String(columnValue(events[0].ExecutionId));
  const current = events.filter((r) => columnValue(r.ExecutionId) === executionId);
  if (current.length === 0) {
    throw new HistorySourceError(
      'instance-not-found',
      `Instance '${instanceId}' in task hub ${hubName} has no history for its current execution ${executionId} yet.`,
    );
  }
  const containerName = `${hubName.toLowerCase()}-largemessages`;
  const converted: Record<string, unknown>[] = [];
  for (const row of current) converted.push(await rowToEvent(account, containerName, row));
  return recordedHistory(converted, `task hub ${hubName} (Azure Storage provider layout), instance '${instanceId}'`);
}

import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { TableClient, type TableEntity } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { EventType, OrchestrationStatus, type HistoryEvent } from '../../../host/durable/history/historyEvent';

// Writes an instance's history the way the Durable Task Azure Storage provider does (spec §9),
// independently of the reader under test: `<hub>Instances` and `<hub>History` rows, the sentinel,
// and values moved to gzipped blobs in `<hub>-largemessages`. This is what a deployed app's task
// hub holds, so the replay command can be tested against it on Azurite.

/** DTFx KeySanitation, written out again here so the reader's copy is tested, not reused. */
function partitionKeyOf(instanceId: string): string {
  const escapes: Record<string, string> = { '^': '^^', '/': '^0', '\\': '^1', '#': '^2', '?': '^3' };
  return Array.from(instanceId)
    .map((c) => escapes[c] ?? (c.charCodeAt(0) <= 0x1f ? `^${String.fromCharCode(0xc0 + c.charCodeAt(0))}` : c))
    .join('');
}

const rowKeyOf = (position: number): string => position.toString(16).toUpperCase().padStart(16, '0');
const DATE_MEMBERS = new Set(['FireAt', 'ScheduledStartTime']);
const JSON_MEMBERS = new Set([
  'OrchestrationInstance',
  'ParentInstance',
  'Tags',
  'FailureDetails',
  'ParentTraceContext',
]);

export interface AzureStorageHistoryOptions {
  connectionString: string;
  hubName: string;
  instanceId: string;
  executionId: string;
  events: HistoryEvent[];
  /** Members moved to a blob, as DTFx does for values over 60 KB: [position, member]. */
  inBlobs?: [number, 'Input' | 'Result'][];
  /** Rows an older execution left at positions past this one's end (continue-as-new keeps them). */
  staleRowsOfExecution?: { executionId: string; count: number };
}

function historyRow(partitionKey: string, executionId: string, position: number, event: HistoryEvent): TableEntity {
  const row: TableEntity = {
    partitionKey,
    rowKey: rowKeyOf(position),
    ExecutionId: executionId,
  };
  for (const [member, value] of Object.entries(event)) {
    if (value === null || value === undefined) continue;
    if (member === 'Timestamp') row._Timestamp = { value: String(value), type: 'DateTime' };
    else if (member === 'EventType') row.EventType = EventType[value as EventType];
    else if (member === 'OrchestrationStatus')
      row.OrchestrationStatus = OrchestrationStatus[value as OrchestrationStatus];
    else if (DATE_MEMBERS.has(member)) row[member] = { value: String(value), type: 'DateTime' };
    else if (JSON_MEMBERS.has(member)) row[member] = JSON.stringify(value);
    else row[member] = value;
  }
  return row;
}

export async function writeAzureStorageHistory(options: AzureStorageHistoryOptions): Promise<void> {
  const { connectionString, hubName, instanceId, executionId, events } = options;
  const partitionKey = partitionKeyOf(instanceId);
  const tableOptions = { allowInsecureConnection: true };
  const history = TableClient.fromConnectionString(connectionString, `${hubName}History`, tableOptions);
  const instances = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, tableOptions);
  await history.createTable();
  await instances.createTable();
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
    `${hubName.toLowerCase()}-largemessages`,
  );
  await container.createIfNotExists();

  const rows = events.map((event, position) => historyRow(partitionKey, executionId, position, event));
  for (const [position, member] of options.inBlobs ?? []) {
    const row = rows[position];
    const blobName = `${partitionKey}/history-${row.rowKey}-${String(row.EventType)}-${randomBytes(4).toString('hex').toUpperCase()}-${member}.json.gz`;
    const body = gzipSync(Buffer.from(String(row[member]), 'utf8'));
    await container.getBlockBlobClient(blobName).upload(body, body.length);
    row[member] = '';
    row[`${member}BlobName`] = blobName;
  }
  const stale = options.staleRowsOfExecution;
  for (let i = 0; i < (stale?.count ?? 0); i++) {
    const event = {
      EventType: EventType.OrchestratorCompleted,
      EventId: -1,
      IsPlayed: true,
      Timestamp: '2020-01-01T00:00:00.0000000Z',
    };
    rows.push(historyRow(partitionKey, stale!.executionId, events.length + i, event));
  }
  rows.push({
    partitionKey,
    rowKey: 'sentinel',
    ExecutionId: executionId,
    IsCheckpointComplete: true,
    CheckpointCompletedTimestamp: new Date(),
  });
  // DTFx writes at most 99 rows and the sentinel per batch; one upsert each is enough for a test.
  for (const row of rows) await history.upsertEntity(row, 'Replace');

  const started = events.find((e) => e.EventType === EventType.ExecutionStarted);
  await instances.upsertEntity(
    {
      partitionKey,
      rowKey: '',
      Name: started?.Name ?? '',
      Version: started?.Version ?? '',
      ExecutionId: executionId,
      RuntimeStatus: 'Completed',
      CustomStatus: 'null',
      TaskHubName: hubName,
      CreatedTime: new Date(events[0]?.Timestamp ?? Date.now()),
    },
    'Replace',
  );
}

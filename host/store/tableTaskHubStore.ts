import {
  RestError,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import type { HistoryEvent, ParentInstance, RuntimeStatus } from '../durable/history/historyEvent';
import { PayloadBlobs } from './payloadBlobs';
import { ShardCommitter } from './shardCommitter';
import { escapeId, odata, rowKeys, shardOf } from './tableKeys';
import {
  InvalidContinuationTokenError,
  StoreConflictError,
  type EpisodeCommit,
  type InstanceQuery,
  type InstanceRecord,
  type StoredMessage,
  type TaskHubStore,
  type Versioned,
} from './taskHubStore';

/** Texts longer than this go to a blob (a table string property holds 64 KiB of UTF-16). */
const INLINE_LIMIT = 30_000;
const UNFINISHED: RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];

type Row = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string };

function conflict(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
}

/**
 * Our tokens wrap the table client's (base64 of {nextPartitionKey, nextRowKey}) in base64url. The
 * client would throw a SyntaxError on garbage and send anything else on as headers, so a token is
 * unwrapped and checked here first.
 */
function tableContinuationToken(token: string): string {
  const refuse = (): never => {
    throw new InvalidContinuationTokenError('The continuation token is not one this task hub handed out.');
  };
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) refuse();
  const inner = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(inner)) refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(inner, 'base64').toString('utf8'));
  } catch {
    return refuse();
  }
  const headerSafe = (value: unknown): boolean => typeof value === 'string' && /^[\x21-\x7e]{1,1024}$/.test(value);
  const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : [];
  const { nextPartitionKey, nextRowKey } = (parsed ?? {}) as Record<string, unknown>;
  if (
    keys.some((k) => k !== 'nextPartitionKey' && k !== 'nextRowKey') ||
    !headerSafe(nextPartitionKey) ||
    (nextRowKey !== undefined && !headerSafe(nextRowKey))
  )
    refuse();
  return inner;
}

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/**
 * The task hub in Azure Tables (Azurite locally) with large payloads in blobs. One table per hub:
 * rows are `<id>|I` (the instance), `<id>|H|<execution>|<n>` (history, one row per episode) and
 * `<id>|M|<message>` (inbox), partitioned into shards so episodes of many instances can share a
 * transaction.
 */
export class TableTaskHubStore implements TaskHubStore {
  private readonly table: TableClient;
  private readonly blobs: PayloadBlobs;
  private readonly committers = new Map<string, ShardCommitter>();

  constructor(
    connectionString: string,
    readonly hubName: string,
  ) {
    // Storage is local (or near): fail fast with a clear error rather than back off for a minute.
    const retryOptions = { maxRetries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 1000 };
    this.table = TableClient.fromConnectionString(connectionString, `${hubName}TaskHub`, {
      allowInsecureConnection: true,
      retryOptions,
    });
    const blobService = BlobServiceClient.fromConnectionString(connectionString, {
      retryOptions: { maxTries: 4, retryDelayInMs: 100, maxRetryDelayInMs: 1000 },
    });
    this.blobs = new PayloadBlobs(blobService.getContainerClient(`${hubName.toLowerCase()}-payloads`));
  }

  async init(): Promise<void> {
    await this.table.createTable();
    await this.blobs.init();
  }

  async close(): Promise<void> {
    // Clients hold no sockets worth closing; pending commits finish on their own.
  }

  private committer(partitionKey: string): ShardCommitter {
    let committer = this.committers.get(partitionKey);
    if (!committer) {
      committer = new ShardCommitter(this.table, partitionKey);
      this.committers.set(partitionKey, committer);
    }
    return committer;
  }

  // --- payload packing -------------------------------------------------------------------

  private async packText(
    instanceId: string,
    prop: string,
    text: string | null,
    into: Record<string, unknown>,
  ): Promise<void> {
    if (text === null) return;
    if (text.length <= INLINE_LIMIT) into[prop] = text;
    else into[`${prop}Blob`] = await this.blobs.put(escapeId(instanceId), text);
  }

  private async unpackText(row: Record<string, unknown>, prop: string): Promise<string | null> {
    const blob = row[`${prop}Blob`];
    if (typeof blob === 'string' && blob.length > 0) return this.blobs.get(blob);
    const value = row[prop];
    return typeof value === 'string' ? value : null;
  }

  private async instanceEntity(record: InstanceRecord): Promise<TableEntity> {
    const entity: TableEntity = {
      partitionKey: shardOf(record.instanceId),
      rowKey: rowKeys.instance(record.instanceId),
      Kind: 'I',
      InstanceId: record.instanceId,
      Name: record.name,
      Version: record.version,
      ExecutionId: record.executionId,
      RuntimeStatus: record.runtimeStatus,
      CreatedTime: record.createdTime,
      LastUpdatedTime: record.lastUpdatedTime,
      ParentInstance: record.parent ? JSON.stringify(record.parent) : '',
      Generation: record.generation,
      HistoryChunks: record.historyChunks,
    };
    if (record.completedTime) entity.CompletedTime = record.completedTime;
    await this.packText(record.instanceId, 'Input', record.input, entity);
    await this.packText(record.instanceId, 'Output', record.output, entity);
    await this.packText(record.instanceId, 'CustomStatus', record.customStatus, entity);
    return entity;
  }

  private async toRecord(row: Record<string, unknown>): Promise<InstanceRecord> {
    const parent =
      typeof row.ParentInstance === 'string' && row.ParentInstance.length > 0
        ? (JSON.parse(row.ParentInstance) as ParentInstance)
        : null;
    return {
      instanceId: String(row.InstanceId),
      name: String(row.Name),
      version: typeof row.Version === 'string' ? row.Version : '',
      executionId: String(row.ExecutionId),
      runtimeStatus: row.RuntimeStatus as RuntimeStatus,
      createdTime: asDate(row.CreatedTime),
      lastUpdatedTime: asDate(row.LastUpdatedTime),
      completedTime: row.CompletedTime ? asDate(row.CompletedTime) : null,
      input: await this.unpackText(row, 'Input'),
      output: await this.unpackText(row, 'Output'),
      customStatus: await this.unpackText(row, 'CustomStatus'),
      parent,
      generation: Number(row.Generation ?? 0),
      historyChunks: Number(row.HistoryChunks ?? 0),
    };
  }

  // --- reads ------------------------------------------------------------------------------

  async getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    try {
      const row = await this.table.getEntity(shardOf(instanceId), rowKeys.instance(instanceId));
      return { value: await this.toRecord(row), etag: row.etag };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  private async rangeRows(instanceId: string, from: string, to: string): Promise<Row[]> {
    const filter = `PartitionKey eq ${odata(shardOf(instanceId))} and RowKey ge ${odata(from)} and RowKey lt ${odata(to)}`;
    const rows: Row[] = [];
    for await (const row of this.table.listEntities({ queryOptions: { filter } })) rows.push(row as Row);
    return rows;
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    const prefix = rowKeys.historyPrefix(record.instanceId, record.executionId);
    const rows = await this.rangeRows(record.instanceId, prefix, prefix + '~');
    rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
    const events: HistoryEvent[] = [];
    for (const row of rows.slice(0, record.historyChunks)) {
      const text = await this.unpackText(row, 'Events');
      events.push(...(JSON.parse(text ?? '[]') as HistoryEvent[]));
    }
    return events;
  }

  async getMessages(instanceId: string): Promise<StoredMessage[]> {
    const prefix = rowKeys.messagePrefix(instanceId);
    const rows = await this.rangeRows(instanceId, prefix, prefix + '~');
    return Promise.all(rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1)).map((row) => this.toMessage(row)));
  }

  private async toMessage(row: Record<string, unknown>): Promise<StoredMessage> {
    return {
      id: String(row.MessageId),
      instanceId: String(row.InstanceId),
      event: JSON.parse((await this.unpackText(row, 'Event')) ?? 'null') as HistoryEvent,
    };
  }

  // --- writes -----------------------------------------------------------------------------

  private instanceAction(entity: TableEntity, etag: string | undefined): TransactionAction {
    return etag === undefined ? ['create', entity] : ['update', entity, 'Replace', { etag }];
  }

  private async submit(instanceId: string, actions: TransactionAction[]): Promise<Map<string, string>> {
    try {
      return await this.committer(shardOf(instanceId)).submit(actions);
    } catch (error) {
      if (conflict(error)) throw new StoreConflictError(`Instance ${instanceId} changed concurrently.`);
      throw error;
    }
  }

  async putInstance(record: InstanceRecord, etag: string | undefined): Promise<string> {
    const entity = await this.instanceEntity(record);
    const etags = await this.submit(record.instanceId, [this.instanceAction(entity, etag)]);
    return etags.get(entity.rowKey) ?? '';
  }

  async commitEpisode(commit: EpisodeCommit): Promise<string> {
    const { record } = commit;
    const partitionKey = shardOf(record.instanceId);
    const entity = await this.instanceEntity(record);
    const actions: TransactionAction[] = [this.instanceAction(entity, commit.etag)];
    if (commit.newHistory.length > 0) {
      const historyRow: TableEntity = {
        partitionKey,
        rowKey: rowKeys.history(record.instanceId, commit.historyRow.executionId, commit.historyRow.index),
        Kind: 'H',
      };
      await this.packText(record.instanceId, 'Events', JSON.stringify(commit.newHistory), historyRow);
      actions.push(['upsert', historyRow, 'Replace']);
    }
    for (const id of commit.consumedMessageIds) {
      actions.push(['delete', { partitionKey, rowKey: rowKeys.message(record.instanceId, id) }]);
    }
    const etags = await this.submit(record.instanceId, actions);
    return etags.get(entity.rowKey) ?? '';
  }

  async addMessage(message: StoredMessage): Promise<void> {
    const row: TableEntity = {
      partitionKey: shardOf(message.instanceId),
      rowKey: rowKeys.message(message.instanceId, message.id),
      Kind: 'M',
      InstanceId: message.instanceId,
      MessageId: message.id,
    };
    await this.packText(message.instanceId, 'Event', JSON.stringify(message.event), row);
    try {
      await this.committer(row.partitionKey).submit([['create', row]]);
    } catch (error) {
      // The same message delivered twice (a resend after a crash) is already there.
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    }
  }

  async replaceHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string> {
    const partitionKey = shardOf(record.instanceId);
    const prefix = rowKeys.historyPrefix(record.instanceId, record.executionId);
    const rows = await this.rangeRows(record.instanceId, prefix, prefix + '~');
    const rewritten: InstanceRecord = { ...record, historyChunks: 1 };
    const historyRow: TableEntity = {
      partitionKey,
      rowKey: rowKeys.history(record.instanceId, record.executionId, 0),
      Kind: 'H',
    };
    await this.packText(record.instanceId, 'Events', JSON.stringify(history), historyRow);
    const entity = await this.instanceEntity(rewritten);
    const actions: TransactionAction[] = [
      this.instanceAction(entity, etag),
      ['upsert', historyRow, 'Replace'],
      ...rows
        .filter((r) => r.rowKey !== historyRow.rowKey)
        .map((r): TransactionAction => ['delete', { partitionKey, rowKey: r.rowKey }]),
    ];
    const etags = await this.submit(record.instanceId, actions);
    return etags.get(entity.rowKey) ?? '';
  }

  async dropOldExecutions(record: InstanceRecord): Promise<void> {
    const { from, to } = rowKeys.instanceRange(record.instanceId);
    const current = rowKeys.historyPrefix(record.instanceId, record.executionId);
    const stale = (await this.rangeRows(record.instanceId, from, to)).filter(
      (r) => r.Kind === 'H' && !r.rowKey.startsWith(current),
    );
    if (stale.length === 0) return;
    await this.committer(shardOf(record.instanceId)).submit(
      stale.map((r) => ['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]),
    );
  }

  async purgeInstance(instanceId: string): Promise<boolean> {
    const { from, to } = rowKeys.instanceRange(instanceId);
    const rows = await this.rangeRows(instanceId, from, to);
    // Rows left without an instance (messages to a purged one) go too; the answer is whether an instance was there.
    if (rows.length > 0)
      await this.committer(shardOf(instanceId)).submit(
        rows.map((r) => ['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]),
      );
    const existed = rows.some((r) => r.Kind === 'I');
    if (existed) await this.blobs.deleteAll(escapeId(instanceId));
    return existed;
  }

  // --- queries ----------------------------------------------------------------------------

  async queryInstances(
    query: InstanceQuery,
  ): Promise<{ records: InstanceRecord[]; continuationToken: string | undefined }> {
    const clauses = [`Kind eq 'I'`];
    if (query.createdTimeFrom) clauses.push(`CreatedTime ge datetime'${query.createdTimeFrom.toISOString()}'`);
    if (query.createdTimeTo) clauses.push(`CreatedTime le datetime'${query.createdTimeTo.toISOString()}'`);
    if (query.runtimeStatus && query.runtimeStatus.length > 0) {
      clauses.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${odata(s)}`).join(' or ')})`);
    }
    if (query.instanceIdPrefix) {
      const prefix = escapeId(query.instanceIdPrefix);
      clauses.push(`RowKey ge ${odata(prefix)} and RowKey lt ${odata(prefix + '~')}`);
    }
    const pages = this.table.listEntities({ queryOptions: { filter: clauses.join(' and ') } }).byPage({
      // Table storage answers at most 1,000 entities a page (and refuses a larger $top); more follow the token.
      maxPageSize: Math.min(query.top ?? 100, 1000),
      continuationToken: query.continuationToken ? tableContinuationToken(query.continuationToken) : undefined,
    });
    let page: (Row[] & { continuationToken?: string }) | undefined;
    try {
      page = (await pages.next()).value as (Row[] & { continuationToken?: string }) | undefined;
    } catch (error) {
      // Well-formed but naming no place in this table: the service refuses it with 400.
      if (query.continuationToken && error instanceof RestError && error.statusCode === 400)
        throw new InvalidContinuationTokenError('The continuation token is not one this task hub handed out.');
      throw error;
    }
    if (!page) return { records: [], continuationToken: undefined };
    const records = await Promise.all(page.map((row) => this.toRecord(row)));
    const token = page.continuationToken
      ? Buffer.from(page.continuationToken, 'utf8').toString('base64url')
      : undefined;
    return { records, continuationToken: token };
  }

  async findUnfinished(): Promise<{ records: Versioned<InstanceRecord>[]; messages: StoredMessage[] }> {
    const records: Versioned<InstanceRecord>[] = [];
    const messages: StoredMessage[] = [];
    // The service filters: finished instances, however many the hub holds, never reach the host.
    const unfinished = UNFINISHED.map((s) => `RuntimeStatus eq ${odata(s)}`).join(' or ');
    for await (const row of this.table.listEntities({
      queryOptions: { filter: `(Kind eq 'I' and (${unfinished})) or Kind eq 'M'` },
    })) {
      if (row.Kind === 'M') messages.push(await this.toMessage(row));
      else records.push({ value: await this.toRecord(row), etag: row.etag });
    }
    messages.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { records, messages };
  }
}

import { RestError, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { HistoryEvent } from '../durable/history/historyEvent';
import { chunkIndexOf, chunksIn } from './historyChunks';
import { etagOf, handedOut, type InstanceVersions } from './instanceVersions';
import type { KnownTableRows } from './knownTableRows';
import type { PendingRows } from './pendingRows';
import type { RowCodec, TableRow } from './rowCodec';
import { odata, rowKeys, shardOf } from './tableKeys';
import type { InstanceRecord, StoredMessage, Versioned } from './taskHubStore';

/** Reads of one instance: the log's pending rows over the table's, so a commit is readable once durable. */
export class OverlayReads {
  constructor(
    private readonly table: TableClient,
    private readonly pending: PendingRows,
    private readonly versions: InstanceVersions,
    private readonly knownRows: KnownTableRows,
    private readonly codec: RowCodec,
  ) {}

  async getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    const rowKey = rowKeys.instance(instanceId);
    const logged = this.pending.get(shardOf(instanceId), rowKey);
    if (logged) {
      const properties = logged.change.properties;
      return properties ? { value: await this.codec.toRecord(properties), etag: etagOf(logged.seq) } : undefined;
    }
    if (this.versions.isKnownAbsent(rowKey)) return undefined;
    // Read before the table: a commit that lands meanwhile must not lend its version to an older row.
    const known = this.versions.get(rowKey);
    const row = await this.tableInstanceRow(instanceId);
    if (!row) return undefined;
    if (this.versions.get(rowKey) !== known) return this.getInstance(instanceId);
    // Checkpointed since this store wrote it: the version this store handed out stays its ETag.
    return { value: await this.codec.toRecord(row), etag: handedOut(known) ?? row.etag };
  }

  /** The instance row as the table holds it, or undefined. */
  async tableInstanceRow(instanceId: string): Promise<TableEntityResult<Record<string, unknown>> | undefined> {
    try {
      return await this.table.getEntity(shardOf(instanceId), rowKeys.instance(instanceId));
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** The instance row's ETag in the table (after a checkpoint made it current). */
  async currentTableEtag(instanceId: string): Promise<string | undefined> {
    return (await this.tableInstanceRow(instanceId))?.etag;
  }

  /**
   * The instance's rows in [from, to): the table's, with what the log holds over them. The table
   * is not asked when the caller knows it holds none (`tableMayHold`).
   */
  async rangeRows(
    instanceId: string,
    from: string,
    to: string,
    tableMayHold = true,
    withLog = true,
  ): Promise<TableRow[]> {
    const partitionKey = shardOf(instanceId);
    const rows = new Map<string, TableRow>();
    // What the log holds now: a checkpoint that writes and settles these while the table is read
    // would otherwise hide them from both.
    const before = withLog ? this.pending.range(from, to) : [];
    if (tableMayHold) {
      const filter = `PartitionKey eq ${odata(partitionKey)} and RowKey ge ${odata(from)} and RowKey lt ${odata(to)}`;
      for await (const row of this.table.listEntities({ queryOptions: { filter } }))
        rows.set(row.rowKey ?? '', row as TableRow);
    }
    for (const { change } of [...before, ...(withLog ? this.pending.range(from, to) : [])]) {
      if (change.properties === null) rows.delete(change.rowKey);
      else rows.set(change.rowKey, { ...change.properties, partitionKey, rowKey: change.rowKey, etag: '' });
    }
    return [...rows.values()];
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    const prefix = rowKeys.historyPrefix(record.instanceId, record.executionId);
    // An instance created since its last checkpoint has no history row in the table yet.
    const fresh = this.knownRows.isFresh(rowKeys.instance(record.instanceId));
    const rows = await this.rangeRows(record.instanceId, prefix, prefix + '~', !fresh);
    rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
    const events: HistoryEvent[] = [];
    // Row n holds episode n, or episodes n… when a checkpoint merged them; rows past the record's
    // count, or covered by a merged row (a read that overlapped its checkpoint), are not read.
    let next = 0;
    for (const row of rows) {
      const index = chunkIndexOf(row.rowKey);
      if (index < next) continue;
      if (index >= record.historyChunks) break;
      const text = await this.codec.unpackText(row, 'Events');
      events.push(...(JSON.parse(text ?? '[]') as HistoryEvent[]));
      next = index + chunksIn(row);
    }
    return events;
  }

  async getMessages(instanceId: string): Promise<StoredMessage[]> {
    const prefix = rowKeys.messagePrefix(instanceId);
    const rows = await this.rangeRows(instanceId, prefix, prefix + '~');
    return Promise.all(rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1)).map((row) => this.codec.toMessage(row)));
  }
}

import type { TableEntity, TableEntityResult } from '@azure/data-tables';
import type { HistoryEvent, ParentInstance, RuntimeStatus } from '../durable/history/historyEvent';
import type { PayloadBlobs } from './payloadBlobs';
import { escapeId, rowKeys, shardOf } from './tableKeys';
import type { InstanceRecord, StoredMessage } from './taskHubStore';

/** Texts longer than this go to a blob (a table string property holds 64 KiB of UTF-16). */
export const INLINE_LIMIT = 30_000;

export type TableRow = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string };

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** The task hub's rows and what they hold: instance records, history and messages, large texts in blobs. */
export class RowCodec {
  constructor(private readonly blobs: PayloadBlobs) {}

  async packText(instanceId: string, prop: string, text: string | null, into: Record<string, unknown>): Promise<void> {
    if (text === null) return;
    if (text.length <= INLINE_LIMIT) into[prop] = text;
    else into[`${prop}Blob`] = await this.blobs.put(escapeId(instanceId), text);
  }

  async unpackText(row: Record<string, unknown>, prop: string): Promise<string | null> {
    const blob = row[`${prop}Blob`];
    if (typeof blob === 'string' && blob.length > 0) return this.blobs.get(blob);
    const value = row[prop];
    return typeof value === 'string' ? value : null;
  }

  async instanceEntity(record: InstanceRecord): Promise<TableEntity> {
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

  async historyEntity(
    instanceId: string,
    executionId: string,
    index: number,
    events: HistoryEvent[],
  ): Promise<TableEntity> {
    const historyRow: TableEntity = {
      partitionKey: shardOf(instanceId),
      rowKey: rowKeys.history(instanceId, executionId, index),
      Kind: 'H',
    };
    await this.packText(instanceId, 'Events', JSON.stringify(events), historyRow);
    return historyRow;
  }

  async toRecord(row: Record<string, unknown>): Promise<InstanceRecord> {
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

  async toMessage(row: Record<string, unknown>): Promise<StoredMessage> {
    return {
      id: String(row.MessageId),
      instanceId: String(row.InstanceId),
      event: JSON.parse((await this.unpackText(row, 'Event')) ?? 'null') as HistoryEvent,
    };
  }
}

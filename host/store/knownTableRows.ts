import type { TableClient } from '@azure/data-tables';
import type { RowChange } from './loggedRow';
import { rowIdOf } from './pendingRows';

function isMessageRow(rowKey: string): boolean {
  return rowKey.includes('|M|');
}

/** What the store knows the table holds without asking it. */
export class KnownTableRows {
  /** Inbox rows the table holds (read at start, then kept by checkpoints), to tell a resent message. */
  private readonly messages = new Set<string>();
  /** Instances created since the last checkpoint of theirs: the table holds no other row of them. */
  private readonly fresh = new Set<string>();

  async readMessages(table: TableClient): Promise<void> {
    const filter = `Kind eq 'M'`;
    for await (const row of table.listEntities({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
    })) {
      this.messages.add(rowIdOf(String(row.partitionKey), String(row.rowKey)));
    }
  }

  holdsMessage(partitionKey: string, rowKey: string): boolean {
    return this.messages.has(rowIdOf(partitionKey, rowKey));
  }

  /** Whether the table may hold the row: any row but a message it is not known to hold. */
  mayHold(partitionKey: string, rowKey: string): boolean {
    return !isMessageRow(rowKey) || this.holdsMessage(partitionKey, rowKey);
  }

  /** A checkpoint wrote `change` to the table. */
  written(change: RowChange): void {
    if (!isMessageRow(change.rowKey)) return;
    const key = rowIdOf(change.partitionKey, change.rowKey);
    if (change.properties === null) this.messages.delete(key);
    else this.messages.add(key);
  }

  deleted(partitionKey: string, rowKey: string): void {
    this.messages.delete(rowIdOf(partitionKey, rowKey));
  }

  markFresh(instanceRowKey: string): void {
    this.fresh.add(instanceRowKey);
  }

  unmarkFresh(instanceRowKey: string): void {
    this.fresh.delete(instanceRowKey);
  }

  isFresh(instanceRowKey: string): boolean {
    return this.fresh.has(instanceRowKey);
  }
}

import type { TableEntity } from '@azure/data-tables';

/**
 * One row change as the commit log records it: the whole new row, or its deletion. A row is
 * always written whole (Replace), so applying the changes of a log in order, once or several
 * times, leaves the table as the last change says.
 */
export interface RowChange {
  partitionKey: string;
  rowKey: string;
  /** The row's properties besides its keys; null deletes the row. */
  properties: Record<string, unknown> | null;
}

const DATE = '$date';

/** One commit as a line of JSON; Dates keep their type (the table filters on CreatedTime as a date). */
export function commitLine(changes: RowChange[]): string {
  const rows = changes.map((c) => [c.partitionKey, c.rowKey, c.properties]);
  return (
    JSON.stringify(rows, function (this: unknown, key, value) {
      const raw = (this as Record<string, unknown>)[key];
      return raw instanceof Date ? { [DATE]: raw.toISOString() } : (value as unknown);
    }) + '\n'
  );
}

/** The changes of a line `commitLine` wrote; throws a SyntaxError on a line cut short. */
export function parseCommitLine(line: string): RowChange[] {
  const rows = JSON.parse(line, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && DATE in value) {
      return new Date(String((value as Record<string, unknown>)[DATE]));
    }
    return value;
  }) as [string, string, Record<string, unknown> | null][];
  return rows.map(([partitionKey, rowKey, properties]) => ({ partitionKey, rowKey, properties }));
}

export function entityOf(change: RowChange): TableEntity {
  return { ...change.properties, partitionKey: change.partitionKey, rowKey: change.rowKey };
}

/** The change that writes this entity whole. */
export function rowChangeOf(entity: TableEntity): RowChange {
  const { partitionKey, rowKey, ...properties } = entity;
  return { partitionKey, rowKey, properties };
}

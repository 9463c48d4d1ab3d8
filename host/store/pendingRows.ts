import type { RowChange } from './loggedRow';

/** The newest logged change of one row that the table does not have yet. */
export interface PendingRow {
  change: RowChange;
  /** Log sequence number of the commit that made it: the row's version until it is checkpointed. */
  seq: number;
  /** The segment that commit went to. */
  segment: number;
  /** The table may hold the row: a deletion has to be sent. False only for rows born and gone in the log. */
  inTable: boolean;
}

/** One string naming a table row (partition and row key), for maps and sets of rows. */
export function rowIdOf(partitionKey: string, rowKey: string): string {
  return `${partitionKey}\u0000${rowKey}`;
}

/** Row keys start with the escaped instance id, which never holds a '|'. */
function instanceKeyOf(rowKey: string): string {
  const bar = rowKey.indexOf('|');
  return bar < 0 ? rowKey : rowKey.slice(0, bar);
}

/**
 * Rows committed to the log but not yet checkpointed to the table, newest change per row. Reads
 * see these over the table's rows, so a commit is visible as soon as it is durable.
 */
export class PendingRows {
  private readonly rows = new Map<string, PendingRow>();
  private readonly byInstance = new Map<string, Set<string>>();

  get size(): number {
    return this.rows.size;
  }

  get(partitionKey: string, rowKey: string): PendingRow | undefined {
    return this.rows.get(rowIdOf(partitionKey, rowKey));
  }

  set(change: RowChange, seq: number, segment: number, inTable: boolean): void {
    const key = rowIdOf(change.partitionKey, change.rowKey);
    this.rows.set(key, { change, seq, segment, inTable });
    const instance = instanceKeyOf(change.rowKey);
    let keys = this.byInstance.get(instance);
    if (!keys) {
      keys = new Set();
      this.byInstance.set(instance, keys);
    }
    keys.add(key);
  }

  /** Pending rows of one instance whose row key lies in [from, to). */
  range(rowKeyFrom: string, rowKeyTo: string): PendingRow[] {
    const keys = this.byInstance.get(instanceKeyOf(rowKeyFrom));
    if (!keys) return [];
    const found: PendingRow[] = [];
    for (const key of keys) {
      const row = this.rows.get(key);
      if (row && row.change.rowKey >= rowKeyFrom && row.change.rowKey < rowKeyTo) found.push(row);
    }
    return found;
  }

  /** Rows whose newest change lies in `segment` or before: what a checkpoint of that segment writes. */
  upTo(segment: number): PendingRow[] {
    return [...this.rows.values()].filter((row) => row.segment <= segment);
  }

  /**
   * The table now holds `written`: those still newest leave; rows changed meanwhile stay for the
   * next checkpoint, now known to be in the table (or not) as the written change left them.
   */
  settle(written: PendingRow[]): void {
    for (const row of written) {
      const key = rowIdOf(row.change.partitionKey, row.change.rowKey);
      const current = this.rows.get(key);
      if (current === row) {
        this.rows.delete(key);
        const instance = instanceKeyOf(row.change.rowKey);
        const keys = this.byInstance.get(instance);
        keys?.delete(key);
        if (keys?.size === 0) this.byInstance.delete(instance);
      } else if (current) {
        current.inTable = row.change.properties !== null;
      }
    }
  }

  /** Forgets every pending row of an instance (its rows were just rewritten or deleted in the table). */
  forgetInstance(rowKeyOfAnyRow: string): void {
    const instance = instanceKeyOf(rowKeyOfAnyRow);
    for (const key of this.byInstance.get(instance) ?? []) this.rows.delete(key);
    this.byInstance.delete(instance);
  }
}

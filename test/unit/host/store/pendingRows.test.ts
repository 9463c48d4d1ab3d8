import { describe, expect, it } from 'vitest';
import type { RowChange } from '../../../../host/store/loggedRow';
import { PendingRows } from '../../../../host/store/pendingRows';
import { rowKeys } from '../../../../host/store/tableKeys';

// The rows committed to the log and not yet in the table, newest change per row.
const P = 's01';

function put(rowKey: string, value = 1): RowChange {
  return { partitionKey: P, rowKey, properties: { Kind: rowKey.endsWith('|I') ? 'I' : 'H', Value: value } };
}

function remove(rowKey: string): RowChange {
  return { partitionKey: P, rowKey, properties: null };
}

describe('PendingRows', () => {
  it('keeps the newest change of each row, with its seq, segment and inTable', () => {
    const rows = new PendingRows();
    rows.set(put(rowKeys.instance('a'), 1), 1, 1, true);
    rows.set(put(rowKeys.instance('a'), 2), 2, 1, true);
    expect(rows.size).toBe(1);
    expect(rows.get(P, rowKeys.instance('a'))).toEqual({
      change: put(rowKeys.instance('a'), 2),
      seq: 2,
      segment: 1,
      inTable: true,
    });
    expect(rows.get(P, rowKeys.instance('b'))).toBeUndefined();
    expect(rows.get('s02', rowKeys.instance('a'))).toBeUndefined();
  });

  it('tells rows of the same key in different partitions apart', () => {
    const rows = new PendingRows();
    rows.set(put('a|I', 1), 1, 1, true);
    rows.set({ ...put('a|I', 2), partitionKey: 's02' }, 2, 1, true);
    expect(rows.size).toBe(2);
    expect(rows.get(P, 'a|I')!.seq).toBe(1);
    expect(rows.get('s02', 'a|I')!.seq).toBe(2);
  });

  it("finds an instance's rows in a key range, and none of another instance sharing its prefix", () => {
    const rows = new PendingRows();
    rows.set(put(rowKeys.instance('a')), 1, 1, true);
    rows.set(put(rowKeys.history('a', 'e1', 0)), 1, 1, true);
    rows.set(put(rowKeys.history('a', 'e1', 1)), 2, 1, true);
    rows.set(put(rowKeys.history('a', 'e2', 0)), 3, 1, true);
    rows.set(remove(rowKeys.message('a', 'm1')), 3, 1, true);
    rows.set(put(rowKeys.history('ab', 'e1', 0)), 4, 1, true);
    rows.set(put(rowKeys.history('b', 'e1', 0)), 5, 1, true);

    const prefix = rowKeys.historyPrefix('a', 'e1');
    const keys = (found: { change: RowChange }[]): string[] => found.map((r) => r.change.rowKey).sort();
    expect(keys(rows.range(prefix, prefix + '~'))).toEqual([
      rowKeys.history('a', 'e1', 0),
      rowKeys.history('a', 'e1', 1),
    ]);
    const { from, to } = rowKeys.instanceRange('a');
    expect(keys(rows.range(from, to))).toEqual(
      [
        rowKeys.instance('a'),
        rowKeys.history('a', 'e1', 0),
        rowKeys.history('a', 'e1', 1),
        rowKeys.history('a', 'e2', 0),
        rowKeys.message('a', 'm1'),
      ].sort(),
    );
    const messages = rowKeys.messagePrefix('a');
    expect(keys(rows.range(messages, messages + '~'))).toEqual([rowKeys.message('a', 'm1')]);
    expect(rows.range(rowKeys.instanceRange('c').from, rowKeys.instanceRange('c').to)).toEqual([]);
  });

  it('gives up to a segment the rows whose newest change lies in it or before', () => {
    const rows = new PendingRows();
    rows.set(put('a|I'), 1, 1, true);
    rows.set(put('b|I'), 2, 2, true);
    rows.set(put('c|I'), 3, 3, true);
    rows.set(put('a|I', 2), 4, 3, true); // a moved on to segment 3
    const keys = (segment: number): string[] =>
      rows
        .upTo(segment)
        .map((r) => r.change.rowKey)
        .sort();
    expect(keys(0)).toEqual([]);
    expect(keys(1)).toEqual([]);
    expect(keys(2)).toEqual(['b|I']);
    expect(keys(3)).toEqual(['a|I', 'b|I', 'c|I']);
  });

  it('settles: a row still newest leaves, from get and from range', () => {
    const rows = new PendingRows();
    rows.set(put(rowKeys.instance('a')), 1, 1, true);
    rows.set(put(rowKeys.history('a', 'e1', 0)), 1, 1, true);
    rows.settle(rows.upTo(1));
    expect(rows.size).toBe(0);
    expect(rows.get(P, rowKeys.instance('a'))).toBeUndefined();
    const { from, to } = rowKeys.instanceRange('a');
    expect(rows.range(from, to)).toEqual([]);
  });

  it('settles: a row changed meanwhile stays, marked as in the table after a write of the row', () => {
    const rows = new PendingRows();
    rows.set(put('a|M|m1'), 1, 1, false);
    const written = rows.upTo(1);
    rows.set(remove('a|M|m1'), 2, 2, false); // consumed while the checkpoint ran
    rows.settle(written);
    expect(rows.size).toBe(1);
    expect(rows.get(P, 'a|M|m1')).toEqual({ change: remove('a|M|m1'), seq: 2, segment: 2, inTable: true });
    expect(rows.range('a|', 'a}').map((r) => r.seq)).toEqual([2]);
  });

  it('settles: a row changed meanwhile stays, marked as not in the table after a deletion of the row', () => {
    const rows = new PendingRows();
    rows.set(remove('a|M|m1'), 1, 1, true);
    const written = rows.upTo(1);
    rows.set(put('a|M|m1'), 2, 2, true);
    rows.settle(written);
    expect(rows.get(P, 'a|M|m1')).toMatchObject({ seq: 2, inTable: false });
  });

  it('settles only the rows it is given', () => {
    const rows = new PendingRows();
    rows.set(put('a|I'), 1, 1, true);
    rows.set(put('b|I'), 2, 2, true);
    rows.settle(rows.upTo(1));
    expect(rows.size).toBe(1);
    expect(rows.get(P, 'b|I')!.seq).toBe(2);
    expect(rows.range('b|', 'b}')).toHaveLength(1);
  });

  it('forgets every row of one instance and none of another', () => {
    const rows = new PendingRows();
    rows.set(put(rowKeys.instance('a')), 1, 1, true);
    rows.set(put(rowKeys.history('a', 'e1', 0)), 1, 1, true);
    rows.set(remove(rowKeys.message('a', 'm1')), 2, 1, true);
    rows.set(put(rowKeys.instance('ab')), 3, 1, true);
    rows.forgetInstance(rowKeys.history('a', 'e1', 7));
    expect(rows.size).toBe(1);
    expect(rows.get(P, rowKeys.instance('a'))).toBeUndefined();
    expect(rows.range(rowKeys.instanceRange('a').from, rowKeys.instanceRange('a').to)).toEqual([]);
    expect(rows.get(P, rowKeys.instance('ab'))).toBeDefined();
    // The instance can have rows again afterwards.
    rows.set(put(rowKeys.instance('a')), 4, 2, true);
    expect(rows.range(rowKeys.instanceRange('a').from, rowKeys.instanceRange('a').to)).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { chunkIndexOf, chunksIn, mergeHistoryRows } from '../../../../host/store/historyChunks';
import type { RowChange } from '../../../../host/store/loggedRow';
import { rowKeys, shardOf } from '../../../../host/store/tableKeys';

// A checkpoint writes an instance's consecutive inline history rows as one row with `Chunks`.
const LIMIT = 30_000;

function history(instanceId: string, executionId: string, index: number, events: unknown[]): RowChange {
  return {
    partitionKey: shardOf(instanceId),
    rowKey: rowKeys.history(instanceId, executionId, index),
    properties: { Kind: 'H', Events: JSON.stringify(events) },
  };
}

function byKey(changes: RowChange[]): Map<string, RowChange> {
  return new Map(changes.map((c) => [c.rowKey, c]));
}

describe('mergeHistoryRows', () => {
  it('merges consecutive inline rows of one execution into one row at the first key with Chunks and all events', () => {
    const rows = [
      history('a', 'e1', 0, [{ n: 0 }, { n: 1 }]),
      history('a', 'e1', 1, [{ n: 2 }]),
      history('a', 'e1', 2, [{ n: 3 }, { n: 4 }]),
    ];
    const merged = mergeHistoryRows(rows, LIMIT);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toEqual({
      partitionKey: shardOf('a'),
      rowKey: rowKeys.history('a', 'e1', 0),
      properties: { Kind: 'H', Events: expect.any(String), Chunks: 3 },
    });
    expect(JSON.parse(String(merged[0].properties!.Events))).toEqual([
      { n: 0 },
      { n: 1 },
      { n: 2 },
      { n: 3 },
      { n: 4 },
    ]);
    expect(chunksIn(merged[0].properties!)).toBe(3);
    expect(chunkIndexOf(merged[0].rowKey)).toBe(0);
  });

  it('merges rows given out of order as their indexes say', () => {
    const rows = [history('a', 'e1', 2, [3]), history('a', 'e1', 0, [1]), history('a', 'e1', 1, [2])];
    const [merged] = mergeHistoryRows(rows, LIMIT);
    expect(merged.rowKey).toBe(rowKeys.history('a', 'e1', 0));
    expect(JSON.parse(String(merged.properties!.Events))).toEqual([1, 2, 3]);
  });

  it('handles rows with empty event arrays, wherever they are in the run', () => {
    const rows = [
      history('a', 'e1', 0, []),
      history('a', 'e1', 1, [{ n: 1 }]),
      history('a', 'e1', 2, []),
      history('a', 'e1', 3, [{ n: 3 }]),
      history('a', 'e1', 4, []),
    ];
    const [merged, ...rest] = mergeHistoryRows(rows, LIMIT);
    expect(rest).toEqual([]);
    expect(merged.properties!.Chunks).toBe(5);
    expect(JSON.parse(String(merged.properties!.Events))).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('merges a run of only empty arrays into one row whose events are an empty array', () => {
    const [merged, ...rest] = mergeHistoryRows([history('a', 'e1', 0, []), history('a', 'e1', 1, [])], LIMIT);
    expect(rest).toEqual([]);
    expect(merged.properties).toEqual({ Kind: 'H', Events: '[]', Chunks: 2 });
  });

  it('leaves a single row as it is, without Chunks', () => {
    const row = history('a', 'e1', 4, [{ n: 1 }]);
    expect(mergeHistoryRows([row], LIMIT)).toEqual([row]);
    expect(chunksIn(row.properties!)).toBe(1);
  });

  it('does not merge rows of different executions or of different instances', () => {
    const rows = [
      history('a', 'e1', 0, [1]),
      history('a', 'e2', 1, [2]),
      history('b', 'e1', 1, [3]),
      history('ab', 'e1', 1, [4]),
    ];
    const merged = mergeHistoryRows(rows, LIMIT);
    expect(merged).toHaveLength(4);
    expect(new Set(merged)).toEqual(new Set(rows));
  });

  it('merges each execution of each instance on its own', () => {
    const rows = [
      history('a', 'e1', 0, [1]),
      history('b', 'e1', 0, [10]),
      history('a', 'e1', 1, [2]),
      history('b', 'e1', 1, [11]),
      history('a', 'e2', 0, [100]),
    ];
    const merged = byKey(mergeHistoryRows(rows, LIMIT));
    expect(merged.size).toBe(3);
    expect(merged.get(rowKeys.history('a', 'e1', 0))!.properties).toMatchObject({ Events: '[1,2]', Chunks: 2 });
    expect(merged.get(rowKeys.history('b', 'e1', 0))!.properties).toMatchObject({ Events: '[10,11]', Chunks: 2 });
    expect(merged.get(rowKeys.history('a', 'e2', 0))!.properties).toEqual({ Kind: 'H', Events: '[100]' });
  });

  it('starts a new row after a gap in the indexes', () => {
    const rows = [
      history('a', 'e1', 0, [0]),
      history('a', 'e1', 1, [1]),
      history('a', 'e1', 3, [3]),
      history('a', 'e1', 4, [4]),
    ];
    const merged = byKey(mergeHistoryRows(rows, LIMIT));
    expect([...merged.keys()].sort()).toEqual([rowKeys.history('a', 'e1', 0), rowKeys.history('a', 'e1', 3)]);
    expect(merged.get(rowKeys.history('a', 'e1', 0))!.properties).toMatchObject({ Events: '[0,1]', Chunks: 2 });
    expect(merged.get(rowKeys.history('a', 'e1', 3))!.properties).toMatchObject({ Events: '[3,4]', Chunks: 2 });
  });

  it('does not merge a row whose events live in a blob, and does not merge across it', () => {
    const blobRow: RowChange = {
      partitionKey: shardOf('a'),
      rowKey: rowKeys.history('a', 'e1', 1),
      properties: { Kind: 'H', EventsBlob: 'a/1.json' },
    };
    const rows = [history('a', 'e1', 0, [0]), blobRow, history('a', 'e1', 2, [2]), history('a', 'e1', 3, [3])];
    const merged = mergeHistoryRows(rows, LIMIT);
    expect(merged).toContain(blobRow);
    const byRow = byKey(merged);
    expect(byRow.size).toBe(3);
    expect(byRow.get(rowKeys.history('a', 'e1', 0))).toBe(rows[0]);
    expect(byRow.get(rowKeys.history('a', 'e1', 2))!.properties).toMatchObject({ Events: '[2,3]', Chunks: 2 });
  });

  it('stops a merge before the merged events would outgrow the inline limit', () => {
    const big = 'x'.repeat(40);
    const rows = [0, 1, 2, 3, 4].map((i) => history('a', 'e1', i, [big]));
    const oneRow = JSON.stringify([big]).length; // 44
    // Two rows merged are 2 + 2 * 42 + 1 = 87 characters: a limit of 100 holds two, not three (130).
    const merged = mergeHistoryRows(rows, 100);
    for (const change of merged) expect(String(change.properties!.Events).length).toBeLessThanOrEqual(100);
    const byRow = byKey(merged);
    expect([...byRow.keys()].sort()).toEqual([0, 2, 4].map((i) => rowKeys.history('a', 'e1', i)));
    expect(byRow.get(rowKeys.history('a', 'e1', 0))!.properties!.Chunks).toBe(2);
    expect(byRow.get(rowKeys.history('a', 'e1', 2))!.properties!.Chunks).toBe(2);
    expect(byRow.get(rowKeys.history('a', 'e1', 4))).toBe(rows[4]);
    expect(oneRow).toBe(44);
    // A limit exactly the merged length still merges.
    expect(mergeHistoryRows(rows.slice(0, 2), 87)).toHaveLength(1);
    expect(mergeHistoryRows(rows.slice(0, 2), 86)).toHaveLength(2);
  });

  it('passes instance rows and message deletions through untouched', () => {
    const instance: RowChange = {
      partitionKey: shardOf('a'),
      rowKey: rowKeys.instance('a'),
      properties: { Kind: 'I', InstanceId: 'a', CreatedTime: new Date(0), HistoryChunks: 2 },
    };
    const consumed: RowChange = { partitionKey: shardOf('a'), rowKey: rowKeys.message('a', 'm1'), properties: null };
    const message: RowChange = {
      partitionKey: shardOf('a'),
      rowKey: rowKeys.message('a', 'm2'),
      properties: { Kind: 'M', MessageId: 'm2', Event: '{}' },
    };
    const merged = mergeHistoryRows(
      [instance, history('a', 'e1', 0, [0]), consumed, history('a', 'e1', 1, [1]), message],
      LIMIT,
    );
    expect(merged).toHaveLength(4);
    expect(merged).toContain(instance);
    expect(merged).toContain(consumed);
    expect(merged).toContain(message);
    expect(instance.properties).toEqual({ Kind: 'I', InstanceId: 'a', CreatedTime: new Date(0), HistoryChunks: 2 });
  });

  it('gives the same rows for the same changes, whatever their order', () => {
    const make = (): RowChange[] => [
      history('b', 'e1', 1, [11]),
      history('a', 'e1', 0, [1]),
      { partitionKey: shardOf('a'), rowKey: rowKeys.message('a', 'm1'), properties: null },
      history('a', 'e1', 1, [2]),
      history('b', 'e1', 0, [10]),
      history('a', 'e1', 3, [4]),
    ];
    const first = mergeHistoryRows(make(), LIMIT);
    expect(mergeHistoryRows(make(), LIMIT)).toEqual(first);
    const sorted = (changes: RowChange[]): RowChange[] =>
      [...changes].sort((x, y) => (x.rowKey < y.rowKey ? -1 : x.rowKey > y.rowKey ? 1 : 0));
    expect(sorted(mergeHistoryRows(make().reverse(), LIMIT))).toEqual(sorted(first));
  });

  it('does not change the changes it is given', () => {
    const rows = [history('a', 'e1', 1, [2]), history('a', 'e1', 0, [1])];
    const copy = structuredClone(rows);
    mergeHistoryRows(rows, LIMIT);
    expect(rows).toEqual(copy);
  });
});

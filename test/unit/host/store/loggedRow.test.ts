import { describe, expect, it } from 'vitest';
import { commitLine, entityOf, parseCommitLine, rowChangeOf, type RowChange } from '../../../../host/store/loggedRow';

// One commit is one line of the commit log: what goes in comes out, Dates as Dates.
describe('a commit line', () => {
  const created = new Date('2024-05-06T07:08:09.123Z');
  const changes: RowChange[] = [
    {
      partitionKey: 's03',
      rowKey: 'order-1|I',
      properties: {
        Kind: 'I',
        Name: 'saga',
        CreatedTime: created,
        LastUpdatedTime: new Date(0),
        Generation: 3,
        HistoryChunks: 0,
        Ratio: 1.5,
        Input: '{"text":"line\\nbreak \\"quoted\\" ü 🚀"}',
        ParentInstance: '',
      },
    },
    { partitionKey: 's03', rowKey: 'order-1|H|e1|000000', properties: { Kind: 'H', Events: '[{"a":1}]' } },
    { partitionKey: 's03', rowKey: 'order-1|M|m1', properties: null },
  ];

  it('is a single line ending in a newline', () => {
    const line = commitLine(changes);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
  });

  it('gives back the same changes: Dates as Dates, strings, numbers and deletions as null', () => {
    const parsed = parseCommitLine(commitLine(changes));
    expect(parsed).toEqual(changes);
    const instance = parsed[0].properties!;
    expect(instance.CreatedTime).toBeInstanceOf(Date);
    expect((instance.CreatedTime as Date).getTime()).toBe(created.getTime());
    expect(instance.LastUpdatedTime).toBeInstanceOf(Date);
    expect(instance.Generation).toBe(3);
    expect(instance.Ratio).toBe(1.5);
    expect(instance.Input).toBe(changes[0].properties!.Input);
    expect(parsed[2].properties).toBeNull();
  });

  it('parses with or without its newline, and an empty commit too', () => {
    expect(parseCommitLine(commitLine(changes).trimEnd())).toEqual(changes);
    expect(parseCommitLine(commitLine([]))).toEqual([]);
  });

  it('keeps a string that merely looks like a date a string', () => {
    const change: RowChange = { partitionKey: 'p', rowKey: 'r|I', properties: { Text: created.toISOString() } };
    const [parsed] = parseCommitLine(commitLine([change]));
    expect(parsed.properties!.Text).toBe(created.toISOString());
  });

  it('throws when the line was cut short, wherever it was cut', () => {
    const line = commitLine(changes).trimEnd();
    for (const cut of [1, 10, Math.floor(line.length / 2), line.length - 1]) {
      expect(() => parseCommitLine(line.slice(0, cut))).toThrow(SyntaxError);
    }
  });

  it('turns into the entity that writes the row whole, and back', () => {
    const entity = entityOf(changes[0]);
    expect(entity).toMatchObject({ partitionKey: 's03', rowKey: 'order-1|I', Kind: 'I', CreatedTime: created });
    expect(rowChangeOf(entity)).toEqual(changes[0]);
  });
});

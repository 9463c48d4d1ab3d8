import { describe, expect, it } from 'vitest';
import { BatchedLines } from '../../../../host/logging/hostLogger';

function capture(): { writes: string[]; sink: { write(text: string): void } } {
  const writes: string[] = [];
  return { writes, sink: { write: (text: string) => void writes.push(text) } };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('host log lines', () => {
  it('go out in one write for all the lines of one turn of the event loop, in order', async () => {
    const { writes, sink } = capture();
    const lines = new BatchedLines(sink);
    lines.push('first');
    lines.push('second');
    lines.push('third');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['first\nsecond\nthird\n']);
  });

  it('start a new write in the next turn', async () => {
    const { writes, sink } = capture();
    const lines = new BatchedLines(sink);
    lines.push('one');
    await nextTurn();
    lines.push('two');
    await nextTurn();
    expect(writes).toEqual(['one\n', 'two\n']);
  });

  it('are written at once when flushed (as at exit), and never twice', async () => {
    const { writes, sink } = capture();
    const lines = new BatchedLines(sink);
    lines.push('last words');
    lines.flush();
    expect(writes).toEqual(['last words\n']);
    await nextTurn();
    lines.flush();
    expect(writes).toEqual(['last words\n']);
  });
});

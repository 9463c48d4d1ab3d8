import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageBatch } from '../../../../host/worker/messageBatch';

type Message = { kind: 'log'; text: string } | { kind: 'result'; value: unknown } | { kind: 'lost'; why: string };

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A real port pair, so what structured clone refuses is refused as it is between threads. */
function channel(replace = true): {
  batch: MessageBatch<Message>;
  posts: number;
  received: Message[][];
  close(): void;
} {
  const { port1, port2 } = new MessageChannel();
  const state = {
    posts: 0,
    received: [] as Message[][],
    batch: new MessageBatch<Message>(
      (messages) => {
        port1.postMessage(messages);
        state.posts++;
      },
      (message, error) => (replace ? { kind: 'lost', why: `${message.kind}: ${(error as Error).name}` } : undefined),
    ),
    close: () => {
      port1.close();
      port2.close();
    },
  };
  port2.on('message', (messages: Message[]) => state.received.push(messages));
  return state;
}

async function delivered(state: ReturnType<typeof channel>, count: number): Promise<void> {
  while (state.received.length < count) await nextTurn();
}

describe('messages to the other thread', () => {
  let open: ReturnType<typeof channel> | undefined;
  afterEach(() => open?.close());

  it('go as one array per turn of the event loop, in the order they were sent', async () => {
    open = channel();
    open.batch.send({ kind: 'log', text: 'one' });
    open.batch.send({ kind: 'result', value: 1 });
    open.batch.send({ kind: 'log', text: 'two' });
    expect(open.posts).toBe(0);
    await delivered(open, 1);
    open.batch.send({ kind: 'log', text: 'next turn' });
    await delivered(open, 2);
    expect(open.received).toEqual([
      [
        { kind: 'log', text: 'one' },
        { kind: 'result', value: 1 },
        { kind: 'log', text: 'two' },
      ],
      [{ kind: 'log', text: 'next turn' }],
    ]);
  });

  it('go at once when flushed (the way out of a worker that ends), and an empty flush sends nothing', async () => {
    open = channel();
    open.batch.flush();
    open.batch.send({ kind: 'log', text: 'last words' });
    open.batch.flush();
    expect(open.posts).toBe(1);
    await delivered(open, 1);
    await nextTurn();
    expect(open.received).toEqual([[{ kind: 'log', text: 'last words' }]]);
  });

  it('lose only the message structured clone cannot copy: it is replaced, and its neighbours arrive', async () => {
    open = channel();
    open.batch.send({ kind: 'log', text: 'before' });
    open.batch.send({ kind: 'result', value: () => 'a function' });
    open.batch.send({ kind: 'log', text: 'after' });
    await delivered(open, 3);
    expect(open.received.flat()).toEqual([
      { kind: 'log', text: 'before' },
      { kind: 'lost', why: 'result: DataCloneError' },
      { kind: 'log', text: 'after' },
    ]);
  });

  it('send nothing in place of a message structured clone cannot copy when its owner says so', async () => {
    open = channel(false);
    open.batch.send({ kind: 'result', value: Symbol('not copyable') });
    open.batch.send({ kind: 'log', text: 'neighbour' });
    await delivered(open, 1);
    await nextTurn();
    expect(open.received).toEqual([[{ kind: 'log', text: 'neighbour' }]]);
  });
});

import { RestError, type ContainerClient } from '@azure/storage-blob';
import { commitLine, parseCommitLine, type RowChange } from './loggedRow';
import { sharedKeyAppender, type Appender } from './sharedKeyAppend';
import { noStoreObserver, type StoreObserver } from './storeObserver';

/** A block of an append blob holds at most 4 MiB (the long-standing limit; newer services allow more). */
const MAX_BLOCK_BYTES = 4 * 1024 * 1024 - 1024;
/** An append blob holds at most 50,000 blocks; a segment is sealed well before. */
export const MAX_SEGMENT_BLOCKS = 40_000;
const SEGMENT_PREFIX = 'segment-';

interface Pending {
  line: string;
  /** Called as soon as the commit is durable, before any later append or segment switch. */
  onDurable(segment: number): void;
  resolve(): void;
  reject(error: unknown): void;
}

function segmentName(segment: number): string {
  return `${SEGMENT_PREFIX}${String(segment).padStart(12, '0')}`;
}

/**
 * The task hub's commit log: an append blob per segment, one line per commit, each line the row
 * changes of one commit. Commits that arrive while an append is in flight share the next append,
 * whichever instances they belong to (group commit); a commit is durable once its append is
 * acknowledged. A line is whole or absent: a group starts on a fresh line and a reader skips a
 * line that does not parse (an append that failed half-way, never acknowledged).
 */
export class CommitLog {
  private readonly queue: Pending[] = [];
  private busy = false;
  private current: Appender | undefined;
  private currentSegment = 0;
  private switchTo: { appender: Appender; segment: number; done(): void } | undefined;
  /** Blocks appended to the current segment. */
  blocks = 0;
  /** Bytes in the current segment: where the next block must land (a retried append cannot land twice). */
  private offset = 0;
  private idleWaiters: (() => void)[] = [];

  /** Told of every append; the store sets it when the host plugs metrics in. */
  observer: StoreObserver = noStoreObserver;

  constructor(private readonly container: ContainerClient) {}

  /** Segments that exist, oldest first. */
  async segments(): Promise<number[]> {
    const found: number[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix: SEGMENT_PREFIX })) {
        found.push(Number(blob.name.slice(SEGMENT_PREFIX.length)));
      }
    } catch (error) {
      // No container: a hub this host never wrote (or one written before the log existed).
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
    return found.sort((a, b) => a - b);
  }

  /** The commits a segment holds, in order; an empty list when the segment is gone. */
  async read(segment: number): Promise<RowChange[][]> {
    let text: string;
    try {
      text = (await this.container.getAppendBlobClient(segmentName(segment)).downloadToBuffer()).toString('utf8');
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
    const commits: RowChange[][] = [];
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        commits.push(parseCommitLine(line));
      } catch {
        // An append that failed half-way: never acknowledged, so nothing acted on it.
      }
    }
    return commits;
  }

  /**
   * Makes `segment` the one appends go to. Appends already written stay in the segment before;
   * the switch happens between two appends, so every commit lies wholly in one segment.
   */
  async startSegment(segment: number): Promise<void> {
    const client = this.container.getAppendBlobClient(segmentName(segment));
    // Overwrites only an empty blob this owner made (a create whose answer was lost and retried):
    // segment numbers only grow, and the hub's lease keeps other writers out.
    await client.create();
    const appender: Appender =
      sharedKeyAppender(client) ??
      ((body, position) =>
        client.appendBlock(body, body.length, { conditions: { appendPosition: position } }).then(() => undefined));
    await new Promise<void>((done) => {
      this.switchTo = { appender, segment, done };
      if (!this.busy) this.switch();
    });
  }

  private switch(): void {
    const next = this.switchTo;
    if (!next) return;
    this.switchTo = undefined;
    this.current = next.appender;
    this.currentSegment = next.segment;
    this.blocks = 0;
    this.offset = 0;
    next.done();
  }

  get segment(): number {
    return this.currentSegment;
  }

  async deleteSegment(segment: number): Promise<void> {
    await this.container.deleteBlob(segmentName(segment)).catch((error: unknown) => {
      if (!(error instanceof RestError && error.statusCode === 404)) throw error;
    });
  }

  /** Resolves once the commit is durable; `onDurable` learns the segment it went to first. */
  append(changes: RowChange[], onDurable: (segment: number) => void): Promise<void> {
    const line = commitLine(changes);
    return new Promise((resolve, reject) => {
      this.queue.push({ line, onDurable, resolve, reject });
      if (!this.busy) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        this.switch();
        const group: Pending[] = [];
        let bytes = 1;
        while (this.queue.length > 0) {
          const size = Buffer.byteLength(this.queue[0].line);
          if (group.length > 0 && bytes + size > MAX_BLOCK_BYTES) break;
          const next = this.queue.shift();
          if (next === undefined) break;
          group.push(next);
          bytes += size;
        }
        try {
          const segment = this.currentSegment;
          await this.write(Buffer.from('\n' + group.map((p) => p.line).join(''), 'utf8'));
          this.observer.logAppend(group.length);
          for (const p of group) p.onDurable(segment);
          for (const p of group) p.resolve();
        } catch (error) {
          for (const p of group) p.reject(error);
        }
      }
    } finally {
      this.busy = false;
      this.switch();
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves when no append is queued or in flight. */
  drained(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async write(body: Buffer): Promise<void> {
    const append = this.current;
    if (!append) throw new Error('The commit log has no open segment.');
    // Only a single commit larger than a block is split; the reader skips it if a part is missing.
    for (let offset = 0; offset < body.length; offset += MAX_BLOCK_BYTES) {
      const part = body.subarray(offset, Math.min(body.length, offset + MAX_BLOCK_BYTES));
      await append(part, this.offset);
      this.offset += part.length;
      this.blocks++;
    }
  }
}

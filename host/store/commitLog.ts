import { RestError, type AppendBlobClient, type ContainerClient } from '@azure/storage-blob';
import { commitLine, parseCommitLine, type RowChange } from './loggedRow';
import { sharedKeyAppender, type Appender } from './sharedKeyAppend';
import { sleep, storeBackoffMs } from './storeBackoff';
import { noStoreObserver, type StoreObserver } from './storeObserver';
import { StoreOutage } from './storeOutage';

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

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function segmentName(segment: number): string {
  return `${SEGMENT_PREFIX}${String(segment).padStart(12, '0')}`;
}

/**
 * Whether an append that failed this way may still succeed: no answer at all (a reset, a timeout),
 * a transient status, or 412, which says the blob is not as long as this log thought (an earlier
 * append landed without its answer) and is resolved by reading the blob. Anything else (no
 * container, no permission, a sealed or full blob) is not storage being away.
 */
function mayStillSucceed(error: unknown): boolean {
  if (!(error instanceof RestError)) return true;
  const status = error.statusCode;
  return status === undefined || status === 408 || status === 412 || status === 429 || status >= 500;
}

interface Segment {
  appender: Appender;
  client: AppendBlobClient;
  number: number;
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
  private current: Segment | undefined;
  private currentSegment = 0;
  private switchTo: (Segment & { done(): void }) | undefined;
  /** Blocks appended to the current segment. */
  blocks = 0;
  /** Bytes in the current segment: where the next block must land (a retried append cannot land twice). */
  private offset = 0;
  private idleWaiters: (() => void)[] = [];
  /** Closing: a failed append fails its commits instead of waiting for storage to come back. */
  private givingUp = false;

  /** Told of every append; the store sets it when the host plugs metrics in. */
  observer: StoreObserver = noStoreObserver;
  /** Told when appends start failing and when they succeed again; the store sets it. */
  outage = new StoreOutage();

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
      this.switchTo = { appender, client, number: segment, done };
      if (!this.busy) this.switch();
    });
  }

  private switch(): void {
    const next = this.switchTo;
    if (!next) return;
    this.switchTo = undefined;
    this.current = next;
    this.currentSegment = next.number;
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
      if (!this.busy) {
        this.busy = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      // Each append waits for the rest of this turn of the event loop: the episodes whose answers
      // came from a language worker in the same turn commit in the same append.
      for (;;) {
        await nextTurn();
        if (this.queue.length === 0) break;
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

  /**
   * From now on an append that fails is not tried again: a host stopping during an outage stops.
   * What it could not append was never acknowledged, so nothing acted on it.
   */
  stopRetrying(): void {
    this.givingUp = true;
  }

  /** Resolves when no append is queued or in flight. */
  drained(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async write(body: Buffer): Promise<void> {
    const segment = this.current;
    if (!segment) throw new Error('The commit log has no open segment.');
    // Only a single commit larger than a block is split; the reader skips it if a part is missing.
    for (let offset = 0; offset < body.length; offset += MAX_BLOCK_BYTES) {
      await this.appendUntilStored(segment, body.subarray(offset, Math.min(body.length, offset + MAX_BLOCK_BYTES)));
      this.blocks++;
    }
  }

  /**
   * Appends one block at the end of the segment, trying again with backoff for as long as storage
   * fails: a commit is never given up for an outage. After a failure nobody knows whether the
   * block landed (the reply may be what was lost), so the blob is read before the next try: the
   * block is found there, or the append goes again where the blob really ends.
   */
  private async appendUntilStored(segment: Segment, part: Buffer): Promise<void> {
    for (let failures = 0; ;) {
      try {
        await segment.appender(part, this.offset);
        this.offset += part.length;
        this.outage.succeeded();
        return;
      } catch (error) {
        if (!mayStillSucceed(error) || this.givingUp) throw error;
        this.outage.failed(error);
        failures++;
      }
      for (;;) {
        await sleep(storeBackoffMs(failures));
        try {
          if (await this.landed(segment.client, part)) {
            this.offset += part.length;
            this.outage.succeeded();
            return;
          }
          break;
        } catch (error) {
          if (!mayStillSucceed(error) || this.givingUp) throw error;
          this.outage.failed(error);
          failures++;
        }
      }
    }
  }

  /**
   * Whether `part` sits at this log's offset in the blob. When it does not, the offset moves to
   * where the blob ends: bytes there that this log does not know of are a failed append's, a line
   * the reader skips (every group starts on a new line).
   */
  private async landed(client: AppendBlobClient, part: Buffer): Promise<boolean> {
    const length = (await client.getProperties()).contentLength ?? 0;
    if (length === this.offset) return false;
    if (length === this.offset + part.length) {
      const there = await client.downloadToBuffer(this.offset, part.length);
      if (there.equals(part)) return true;
    }
    this.offset = length;
    return false;
  }
}

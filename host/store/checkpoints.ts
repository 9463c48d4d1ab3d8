import { RestError, type TransactionAction } from '@azure/data-tables';
import type { RuntimeStatus } from '../durable/history/historyEvent';
import type { CommitLog } from './commitLog';
import { mergeHistoryRows } from './historyChunks';
import type { InstanceVersions } from './instanceVersions';
import type { KnownTableRows } from './knownTableRows';
import { entityOf, type RowChange } from './loggedRow';
import type { PendingRow, PendingRows } from './pendingRows';
import { INLINE_LIMIT } from './rowCodec';
import type { ShardCommitters } from './shardCommitter';
import { noStoreObserver, type StoreObserver } from './storeObserver';
import { rowKeys } from './tableKeys';

const FINISHED: ReadonlySet<unknown> = new Set<RuntimeStatus>(['Completed', 'Failed', 'Terminated']);

/**
 * Writes the log's rows to the table, each row once however often it changed, and deletes the
 * segments that held them.
 */
export class Checkpoints {
  /** Segments sealed and not yet deleted, oldest first (a failed checkpoint leaves its segment). */
  private readonly sealedSegments: number[] = [];
  private checkpoints: Promise<void> = Promise.resolve();
  /** A checkpoint asked for and not yet started: later requests share it (it will cover them too). */
  private queuedCheckpoint: Promise<void> | undefined;
  /** init() succeeded (an owner's): close() has a lease to give back and a log to checkpoint. */
  private opened = false;
  /** Told of every checkpoint; the store sets it when the host plugs metrics in. */
  observer: StoreObserver = noStoreObserver;

  constructor(
    private readonly log: CommitLog,
    private readonly pending: PendingRows,
    private readonly committers: ShardCommitters,
    private readonly knownRows: KnownTableRows,
    private readonly versions: InstanceVersions,
  ) {}

  open(): void {
    this.opened = true;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Whether a checkpoint has work left: pending rows, or a sealed segment still to delete. */
  get owed(): boolean {
    return this.pending.size > 0 || this.sealedSegments.length > 0;
  }

  /** Writes a segment an earlier run left and deletes it (a restart, before the first commit). */
  async applyLeftSegment(segment: number): Promise<void> {
    const rows = this.pending.upTo(segment);
    await this.writeToTable(rows);
    this.pending.settle(rows);
    await this.log.deleteSegment(segment);
  }

  /**
   * Seals the current segment, writes its rows to the table and deletes it. Resolves once every
   * commit made before the call is in the table; checkpoints run one at a time.
   */
  run(): Promise<void> {
    if (this.queuedCheckpoint) return this.queuedCheckpoint;
    const run = this.checkpoints.then(async () => {
      this.queuedCheckpoint = undefined;
      if (!this.opened) return;
      if (this.pending.size > 0) {
        const started = performance.now();
        const sealed = this.log.segment;
        await this.log.startSegment(sealed + 1);
        const rows = this.pending.upTo(sealed);
        this.sealedSegments.push(sealed);
        const written = await this.writeToTable(rows);
        this.pending.settle(rows);
        for (const { change } of rows) {
          if (!change.rowKey.endsWith('|I')) continue;
          this.knownRows.unmarkFresh(change.rowKey);
          if (FINISHED.has(change.properties?.RuntimeStatus) && !this.pending.get(change.partitionKey, change.rowKey))
            this.versions.forget(change.rowKey);
        }
        this.versions.forgetPurged();
        this.observer.checkpoint(written, performance.now() - started);
      }
      // Oldest first: a crash part-way leaves only newer segments, which a restart applies over the
      // table. A segment whose deletion failed is deleted by the next checkpoint, even an empty one.
      while (this.sealedSegments.length > 0) {
        await this.log.deleteSegment(this.sealedSegments[0]);
        this.sealedSegments.shift();
      }
    });
    this.queuedCheckpoint = run;
    this.checkpoints = run.catch(() => undefined);
    return run;
  }

  /**
   * Whether a write of the instance straight to the table must wait for a checkpoint: the log
   * holds rows of it, or a sealed segment that may hold them is left for a restart to apply over
   * the write, or a checkpoint is queued.
   */
  mustRunBeforeDirectWrite(instanceId: string): boolean {
    const { from, to } = rowKeys.instanceRange(instanceId);
    return (
      this.pending.range(from, to).length > 0 || this.sealedSegments.length > 0 || this.queuedCheckpoint !== undefined
    );
  }

  /** Resolves when the checkpoint under way, if any, has ended (however it ended). */
  get settled(): Promise<void> {
    return this.checkpoints;
  }

  /**
   * Writes each row whole (or deletes it) in as few transactions as the partitions allow; returns
   * how many rows it wrote (merged history rows count once).
   */
  private async writeToTable(rows: PendingRow[]): Promise<number> {
    const byPartition = new Map<string, RowChange[]>();
    const written = mergeHistoryRows(
      rows.filter((row) => row.change.properties !== null || row.inTable).map((row) => row.change),
      INLINE_LIMIT,
    );
    for (const change of written) {
      let changes = byPartition.get(change.partitionKey);
      if (!changes) {
        changes = [];
        byPartition.set(change.partitionKey, changes);
      }
      changes.push(change);
    }
    await Promise.all(
      [...byPartition].map(async ([partitionKey, changes]) => {
        const action = (c: RowChange): TransactionAction =>
          c.properties === null ? ['delete', { partitionKey, rowKey: c.rowKey }] : ['upsert', entityOf(c), 'Replace'];
        try {
          await this.committers.of(partitionKey).submit(changes.map(action));
        } catch (error) {
          if (!(error instanceof RestError && error.statusCode === 404)) throw error;
          // A row to delete is already gone (a crash after an earlier checkpoint wrote it): one by one.
          for (const c of changes) {
            await this.committers
              .of(partitionKey)
              .submit([action(c)])
              .catch((single: unknown) => {
                if (!(single instanceof RestError && single.statusCode === 404)) throw single;
              });
          }
        }
        for (const c of changes) this.knownRows.written(c);
      }),
    );
    return written.length;
  }
}

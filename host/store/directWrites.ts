import { RestError, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { HistoryEvent } from '../durable/history/historyEvent';
import type { Checkpoints } from './checkpoints';
import type { CommitPath } from './commitPath';
import { isLogEtag, type InstanceVersions } from './instanceVersions';
import type { KnownTableRows } from './knownTableRows';
import type { OverlayReads } from './overlayReads';
import type { PayloadBlobs } from './payloadBlobs';
import type { PendingRows } from './pendingRows';
import type { RowCodec } from './rowCodec';
import type { ShardCommitters } from './shardCommitter';
import { escapeId, rowKeys, shardOf } from './tableKeys';
import { StoreConflictError, type InstanceRecord } from './taskHubStore';

function conflict(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
}

function instanceAction(entity: TableEntity, etag: string | undefined): TransactionAction {
  return etag === undefined ? ['create', entity] : ['update', entity, 'Replace', { etag }];
}

/**
 * The writes that go straight to the table rather than through the log: each first has the log's
 * rows of the instance checkpointed, so the table's rows and ETags are current.
 */
export class DirectWrites {
  constructor(
    private readonly checkpoint: () => Promise<void>,
    private readonly checkpoints: Checkpoints,
    private readonly committers: ShardCommitters,
    private readonly commits: CommitPath,
    private readonly reads: OverlayReads,
    private readonly codec: RowCodec,
    private readonly versions: InstanceVersions,
    private readonly knownRows: KnownTableRows,
    private readonly pending: PendingRows,
    private readonly blobs: PayloadBlobs,
  ) {}

  /**
   * Writes the instance row straight to the table (a start needs to know at once whether the id
   * is taken), unless the id is certainly free (see `CommitPath.createNew`). Whatever the log
   * holds of the instance is checkpointed first, so the table's row and ETag are current.
   */
  async putInstance(
    record: InstanceRecord,
    etag: string | undefined,
    options: { newId?: boolean } = {},
  ): Promise<string> {
    const { rowKey, knownAbsent } = this.versions.claim(record.instanceId, etag);
    try {
      if (etag === undefined && (options.newId || knownAbsent)) return await this.commits.createNew(record, rowKey);
      const tableEtag = etag === undefined ? undefined : await this.tableEtagFor(record.instanceId, etag);
      const entity = await this.codec.instanceEntity(record);
      const written = (await this.submit(record.instanceId, [instanceAction(entity, tableEtag)])).get(rowKey) ?? '';
      this.versions.set(rowKey, written);
      if (etag === undefined) this.knownRows.markFresh(rowKey);
      return written;
    } finally {
      this.versions.release(rowKey);
    }
  }

  /**
   * The table's ETag to write a claimed instance with: a version this store handed out stands
   * for the table's current row once the log's rows of the instance are checkpointed.
   */
  private async tableEtagFor(instanceId: string, etag: string): Promise<string> {
    // Decided before the checkpoint, which forgets the versions of finished instances.
    const handedOut = this.versions.has(rowKeys.instance(instanceId)) || isLogEtag(etag);
    await this.settleForDirectWrite(instanceId);
    return handedOut ? ((await this.reads.currentTableEtag(instanceId)) ?? etag) : etag;
  }

  /**
   * Before a write straight to the table: the log's rows of the instance are in the table, and no
   * sealed segment that still holds them is left for a restart to apply over the write.
   */
  private async settleForDirectWrite(instanceId: string): Promise<void> {
    if (this.checkpoints.mustRunBeforeDirectWrite(instanceId)) await this.checkpoint();
    else await this.checkpoints.settled;
  }

  private async submit(instanceId: string, actions: TransactionAction[]): Promise<Map<string, string>> {
    try {
      return await this.committers.of(shardOf(instanceId)).submit(actions);
    } catch (error) {
      if (conflict(error)) throw new StoreConflictError(`Instance ${instanceId} changed concurrently.`);
      throw error;
    }
  }

  async replaceHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string> {
    const { rowKey } = this.versions.claim(record.instanceId, etag);
    try {
      const written = await this.rewriteHistory(record, await this.tableEtagFor(record.instanceId, etag), history);
      this.versions.set(rowKey, written);
      return written;
    } finally {
      this.versions.release(rowKey);
    }
  }

  /** Rewind's write, straight to the table: the history as one row, the others deleted. */
  private async rewriteHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string> {
    const partitionKey = shardOf(record.instanceId);
    const prefix = rowKeys.historyPrefix(record.instanceId, record.executionId);
    const rows = await this.reads.rangeRows(record.instanceId, prefix, prefix + '~');
    const rewritten: InstanceRecord = { ...record, historyChunks: 1 };
    const historyRow = await this.codec.historyEntity(record.instanceId, record.executionId, 0, history);
    const entity = await this.codec.instanceEntity(rewritten);
    const actions: TransactionAction[] = [
      instanceAction(entity, etag),
      ['upsert', historyRow, 'Replace'],
      ...rows
        .filter((r) => r.rowKey !== historyRow.rowKey)
        .map((r): TransactionAction => ['delete', { partitionKey, rowKey: r.rowKey }]),
    ];
    const etags = await this.submit(record.instanceId, actions);
    return etags.get(entity.rowKey) ?? '';
  }

  async dropOldExecutions(record: InstanceRecord): Promise<void> {
    const { from, to } = rowKeys.instanceRange(record.instanceId);
    await this.settleForDirectWrite(record.instanceId);
    const current = rowKeys.historyPrefix(record.instanceId, record.executionId);
    const stale = (await this.reads.rangeRows(record.instanceId, from, to)).filter(
      (r) => r.Kind === 'H' && !r.rowKey.startsWith(current),
    );
    if (stale.length === 0) return;
    await this.committers
      .of(shardOf(record.instanceId))
      .submit(stale.map((r) => ['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]));
  }

  async purgeInstance(instanceId: string): Promise<boolean> {
    const { from, to } = rowKeys.instanceRange(instanceId);
    const rowKey = rowKeys.instance(instanceId);
    // An episode of the instance that is committing finishes first; none starts until the purge is done.
    await this.versions.claimWhenFree(rowKey);
    try {
      await this.settleForDirectWrite(instanceId);
      this.knownRows.unmarkFresh(rowKey);
      // The table's rows only: what the log gained since is not in the table to delete.
      const rows = await this.reads.rangeRows(instanceId, from, to, true, false);
      // Rows left without an instance (messages to a purged one) go too; the answer is whether an instance was there.
      if (rows.length > 0)
        await this.committers
          .of(shardOf(instanceId))
          .submit(rows.map((r) => ['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]));
      this.pending.forgetInstance(rowKey);
      for (const r of rows) this.knownRows.deleted(r.partitionKey, r.rowKey);
      this.versions.purged(rowKey);
      const existed = rows.some((r) => r.Kind === 'I');
      if (existed) await this.blobs.deleteAll(escapeId(instanceId));
      return existed;
    } finally {
      this.versions.release(rowKey);
    }
  }
}

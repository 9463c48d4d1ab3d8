import type { TableEntity } from '@azure/data-tables';
import type { CheckpointSchedule } from './checkpointSchedule';
import type { CommitLog } from './commitLog';
import { etagOf, type InstanceVersions } from './instanceVersions';
import type { KnownTableRows } from './knownTableRows';
import { rowChangeOf, type RowChange } from './loggedRow';
import type { OverlayReads } from './overlayReads';
import type { PendingRows } from './pendingRows';
import type { RowCodec } from './rowCodec';
import { rowKeys, shardOf } from './tableKeys';
import { StoreConflictError, type EpisodeCommit, type InstanceRecord, type StoredMessage } from './taskHubStore';

/** Commits to the log: an episode, a message or a made-up id's create is durable once its append is. */
export class CommitPath {
  private seq = 0;
  private closed = false;

  constructor(
    private readonly hubName: string,
    private readonly readOnly: boolean,
    private readonly log: CommitLog,
    private readonly pending: PendingRows,
    private readonly versions: InstanceVersions,
    private readonly knownRows: KnownTableRows,
    private readonly codec: RowCodec,
    private readonly reads: OverlayReads,
    private readonly schedule: CheckpointSchedule,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
  }

  /** Takes what a segment left by an earlier run holds as the newest state of its rows. */
  async loadSegment(segment: number): Promise<void> {
    for (const commit of await this.log.read(segment)) this.remember(commit, segment, ++this.seq, true);
  }

  /** Takes a durable commit's changes as the newest state of their rows. */
  private remember(changes: RowChange[], segment: number, seq: number, recovered = false): void {
    for (const change of changes) {
      const before = this.pending.get(change.partitionKey, change.rowKey);
      // Whether the table held the row before the log changed it (a recovered log cannot tell: it may).
      const inTable =
        recovered || (before ? before.inTable : this.knownRows.mayHold(change.partitionKey, change.rowKey));
      this.pending.set(change, seq, segment, inTable);
      if (change.rowKey.endsWith('|I') && !recovered) this.versions.set(change.rowKey, etagOf(seq));
    }
  }

  /** Appends one commit; its rows are readable, with version `seq`, as soon as it is durable. */
  private async append(changes: RowChange[], seq = ++this.seq): Promise<void> {
    if (this.readOnly) throw new Error(`Task hub ${this.hubName} is open for reading only.`);
    if (this.closed) throw new Error(`Task hub ${this.hubName} is closed.`);
    await this.log.append(changes, (segment) => this.remember(changes, segment, seq));
    this.schedule.request();
  }

  /** Appends one commit of an instance's rows; resolves, once durable, with the version it gave the instance. */
  private async appendVersion(changes: RowChange[]): Promise<string> {
    const seq = ++this.seq;
    await this.append(changes, seq);
    return etagOf(seq);
  }

  /**
   * Creates an instance the caller has claimed whose id is certainly free (the host made it up
   * just now, or the instance index does not hold it): the create needs no table round trip and
   * shares an append with the episodes committing beside it, like any commit.
   */
  async createNew(record: InstanceRecord, rowKey: string): Promise<string> {
    const version = await this.appendVersion([rowChangeOf(await this.codec.instanceEntity(record))]);
    this.knownRows.markFresh(rowKey);
    return version;
  }

  /**
   * Appends the episode to the commit log: durable when this resolves, in the table after the
   * next checkpoint. The ETag is checked against the newest logged version of the instance (this
   * host is the hub's only writer); a new instance is checked against the table.
   */
  async commitEpisode(commit: EpisodeCommit): Promise<string> {
    const { record } = commit;
    const { rowKey, knownAbsent } = this.versions.claim(record.instanceId, commit.etag);
    try {
      if (commit.etag === undefined) {
        if (!knownAbsent && (await this.reads.currentTableEtag(record.instanceId)))
          throw new StoreConflictError(`Instance ${record.instanceId} exists.`);
        // Nothing of it is in the table: its history is read from the log alone until checkpointed.
        this.knownRows.markFresh(rowKey);
      }
      return await this.appendVersion(await this.episodeChanges(commit));
    } finally {
      this.versions.release(rowKey);
    }
  }

  private async episodeChanges(commit: EpisodeCommit): Promise<RowChange[]> {
    const { record } = commit;
    const partitionKey = shardOf(record.instanceId);
    const changes: RowChange[] = [rowChangeOf(await this.codec.instanceEntity(record))];
    if (commit.newHistory.length > 0) {
      const { executionId, index } = commit.historyRow;
      changes.push(
        rowChangeOf(await this.codec.historyEntity(record.instanceId, executionId, index, commit.newHistory)),
      );
    }
    for (const id of commit.consumedMessageIds) {
      changes.push({ partitionKey, rowKey: rowKeys.message(record.instanceId, id), properties: null });
    }
    for (const message of commit.sentMessages ?? []) {
      const row = await this.messageRow(message);
      if (row) changes.push(row);
    }
    return changes;
  }

  /** The inbox row of a message; undefined when the inbox holds it already (the same message sent again). */
  private async messageRow(message: StoredMessage): Promise<RowChange | undefined> {
    const row: TableEntity = {
      partitionKey: shardOf(message.instanceId),
      rowKey: rowKeys.message(message.instanceId, message.id),
      Kind: 'M',
      InstanceId: message.instanceId,
      MessageId: message.id,
    };
    const logged = this.pending.get(row.partitionKey, row.rowKey);
    if (logged ? logged.change.properties !== null : this.knownRows.holdsMessage(row.partitionKey, row.rowKey))
      return undefined;
    await this.codec.packText(message.instanceId, 'Event', JSON.stringify(message.event), row);
    return rowChangeOf(row);
  }

  async addMessage(message: StoredMessage): Promise<void> {
    // The same message delivered twice (a resend after a crash) is there already.
    const row = await this.messageRow(message);
    if (row) await this.append([row]);
  }
}

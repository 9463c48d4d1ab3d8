import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { HistoryEvent } from '../durable/history/historyEvent';
import { CheckpointSchedule } from './checkpointSchedule';
import { Checkpoints } from './checkpoints';
import { CommitLog } from './commitLog';
import { CommitPath } from './commitPath';
import { DirectWrites } from './directWrites';
import { HubOwnership } from './hubOwnership';
import { InstanceIndex } from './instanceIndex';
import { InstanceQueries } from './instanceQueries';
import { InstanceVersions } from './instanceVersions';
import { KnownTableRows } from './knownTableRows';
import { OverlayReads } from './overlayReads';
import { PayloadBlobs } from './payloadBlobs';
import { PendingRows } from './pendingRows';
import { RowCodec } from './rowCodec';
import { ShardCommitters } from './shardCommitter';
import type { StoreObserver } from './storeObserver';
import { retryWhileStorageFails } from './storeBackoff';
import { StoreOutage } from './storeOutage';
import type {
  EpisodeCommit,
  InstanceQuery,
  InstanceRecord,
  StoredMessage,
  TaskHubStore,
  Versioned,
} from './taskHubStore';

/** Up to this many instances, the store keeps every instance id in memory (about 100 bytes each). */
const INDEXED_INSTANCES = 200_000;

export interface TaskHubStoreOptions {
  /**
   * `owner` (the default) writes the hub: it holds the hub's lease and checkpoints the log.
   * `reader` only reads, the log included (a replay beside a running host).
   */
  role?: 'owner' | 'reader';
}

/**
 * The task hub in Azure Storage (Azurite locally), log-structured as the Netherite provider is:
 * an episode is committed by appending its row changes to the hub's commit log (an append blob;
 * the episodes ready at the same moment share one append, whatever their instance), and a
 * checkpoint writes the log's rows to the table in the background, each row once however often
 * it changed. Reads see the logged rows over the table's; a restart first checkpoints what the
 * log still holds, so it reads the log since the last checkpoint and then only unfinished
 * instances. Large payloads live in blobs.
 *
 * One table per hub: rows are `<id>|I` (the instance), `<id>|H|<execution>|<n>` (history, one row
 * per episode) and `<id>|M|<message>` (inbox), in shard partitions so a checkpoint writes many
 * rows per transaction.
 *
 * The parts: `CommitPath` appends to the `CommitLog`; `Checkpoints`, run by `CheckpointSchedule`,
 * write the log to the table; `OverlayReads` read an instance; `DirectWrites` (a start, a rewind,
 * a purge) checkpoint first and then write the table; `InstanceQueries`; `HubOwnership` (the
 * lease); `InstanceVersions` (ETags, one write at a time per instance); `KnownTableRows`;
 * `RowCodec` (rows, large texts in blobs).
 */
export class LogStructuredTaskHubStore implements TaskHubStore {
  /** Whether storage answers, as the store's and the engine's retries see it. */
  readonly outage = new StoreOutage();
  private readonly role: 'owner' | 'reader';
  private readonly table: TableClient;
  private readonly blobs: PayloadBlobs;
  private readonly logContainer: ContainerClient;
  private readonly log: CommitLog;
  private readonly ownership: HubOwnership;
  private readonly pending = new PendingRows();
  private readonly knownRows = new KnownTableRows();
  /** Every instance row of the hub, once read at start: tells a free id without a table round trip. */
  private readonly instances = new InstanceIndex(INDEXED_INSTANCES);
  private readonly checkpoints: Checkpoints;
  private readonly schedule: CheckpointSchedule;
  private readonly commits: CommitPath;
  private readonly reads: OverlayReads;
  private readonly writes: DirectWrites;
  private readonly queries: InstanceQueries;

  constructor(
    connectionString: string,
    readonly hubName: string,
    options: TaskHubStoreOptions = {},
  ) {
    this.role = options.role ?? 'owner';
    // Storage is local (or near): fail fast with a clear error rather than back off for a minute.
    const retryOptions = { maxRetries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 1000 };
    this.table = TableClient.fromConnectionString(connectionString, `${hubName}TaskHub`, {
      allowInsecureConnection: true,
      retryOptions,
    });
    const blobService = BlobServiceClient.fromConnectionString(connectionString, {
      retryOptions: { maxTries: 4, retryDelayInMs: 100, maxRetryDelayInMs: 1000 },
    });
    this.blobs = new PayloadBlobs(blobService.getContainerClient(`${hubName.toLowerCase()}-payloads`));
    const logContainer = blobService.getContainerClient(`${hubName.toLowerCase()}-log`);
    this.log = new CommitLog(logContainer);
    this.log.outage = this.outage;
    this.ownership = new HubOwnership(logContainer, hubName);
    this.logContainer = logContainer;

    // Late-bound: every part checkpoints through this store's `checkpoint`, which a test's crash
    // child replaces to hold background checkpoints back.
    const checkpoint = (): Promise<void> => this.checkpoint();
    const codec = new RowCodec(this.blobs);
    const versions = new InstanceVersions(this.instances);
    const committers = new ShardCommitters(this.table);
    this.checkpoints = new Checkpoints(this.log, this.pending, committers, this.knownRows, versions);
    this.schedule = new CheckpointSchedule(checkpoint, this.checkpoints, this.pending, this.log, this.outage);
    this.reads = new OverlayReads(this.table, this.pending, versions, this.knownRows, codec);
    this.commits = new CommitPath(
      hubName,
      this.role === 'reader',
      this.log,
      this.pending,
      versions,
      this.knownRows,
      codec,
      this.reads,
      this.schedule,
    );
    this.writes = new DirectWrites(
      checkpoint,
      this.checkpoints,
      committers,
      this.commits,
      this.reads,
      codec,
      versions,
      this.knownRows,
      this.pending,
      this.blobs,
    );
    this.queries = new InstanceQueries(checkpoint, this.table, codec);
  }

  async init(): Promise<void> {
    if (this.role === 'reader') {
      for (const segment of await this.log.segments()) await this.commits.loadSegment(segment);
      return;
    }
    await this.table.createTable();
    await this.blobs.init();
    await this.logContainer.createIfNotExists();
    await this.ownership.acquire();
    try {
      // What the last run committed but did not checkpoint: checkpoint it now, segment by segment.
      const segments = await this.log.segments();
      for (const segment of segments) {
        await this.commits.loadSegment(segment);
        await this.checkpoints.applyLeftSegment(segment);
      }
      await this.log.startSegment((segments.at(-1) ?? 0) + 1);
      await this.knownRows.readMessages(this.table);
      this.checkpoints.open();
      void this.indexInstances();
    } catch (error) {
      await this.ownership.release();
      throw error;
    }
  }

  /**
   * Reads every instance id the table holds, in the background (a hub of many finished instances
   * must not delay the start); storage failures are waited out. Until it ends, ids are looked up.
   */
  private async indexInstances(): Promise<void> {
    const rowKeys = async function* (table: TableClient): AsyncIterable<string> {
      const rows = table.listEntities({ queryOptions: { filter: `Kind eq 'I'`, select: ['RowKey'] } });
      for await (const row of rows) yield String(row.rowKey);
    };
    try {
      // Not told to the outage: nothing waits for this read, and the host's own work tells of storage.
      await retryWhileStorageFails(() => this.instances.load(rowKeys(this.table)), {
        stopped: () => this.commits.isClosed,
      });
    } catch {
      this.instances.giveUp();
    }
  }

  /** Resolves whether the store came to know every instance id of the hub (see `InstanceIndex`). */
  instancesIndexed(): Promise<boolean> {
    return this.instances.whenLoaded();
  }

  /** Writes what the log holds to the table and gives up the hub. */
  async close(): Promise<void> {
    if (this.commits.isClosed) return;
    this.commits.close();
    this.instances.giveUp();
    this.schedule.stop();
    if (this.role === 'reader' || !this.checkpoints.isOpen) return;
    try {
      // No append starts from here on; the ones already queued finish before the last checkpoint,
      // unless storage is away: then they fail, and a restart finds what the log holds.
      this.log.stopRetrying();
      await this.log.drained();
      await this.checkpoint();
      // Everything is in the table: the open segment holds nothing a restart needs.
      if (this.pending.size === 0) await this.log.deleteSegment(this.log.segment);
    } finally {
      await this.ownership.release();
    }
  }

  /** Reports appends and checkpoints to `observer` (the host's metrics). */
  observe(observer: StoreObserver): void {
    this.checkpoints.observer = observer;
    this.log.observer = observer;
  }

  checkpoint(): Promise<void> {
    return this.checkpoints.run();
  }

  getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    return this.reads.getInstance(instanceId);
  }

  getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    return this.reads.getHistory(record);
  }

  getMessages(instanceId: string): Promise<StoredMessage[]> {
    return this.reads.getMessages(instanceId);
  }

  putInstance(record: InstanceRecord, etag: string | undefined, options?: { newId?: boolean }): Promise<string> {
    return this.writes.putInstance(record, etag, options);
  }

  commitEpisode(commit: EpisodeCommit): Promise<string> {
    return this.commits.commitEpisode(commit);
  }

  addMessage(message: StoredMessage): Promise<void> {
    return this.commits.addMessage(message);
  }

  replaceHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string> {
    return this.writes.replaceHistory(record, etag, history);
  }

  dropOldExecutions(record: InstanceRecord): Promise<void> {
    return this.writes.dropOldExecutions(record);
  }

  purgeInstance(instanceId: string): Promise<boolean> {
    return this.writes.purgeInstance(instanceId);
  }

  queryInstances(query: InstanceQuery): Promise<{ records: InstanceRecord[]; continuationToken: string | undefined }> {
    return this.queries.queryInstances(query);
  }

  findUnfinished(): Promise<{ records: Versioned<InstanceRecord>[]; messages: StoredMessage[] }> {
    return this.queries.findUnfinished();
  }
}

import {
  RestError,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { HistoryEvent, ParentInstance, RuntimeStatus } from '../durable/history/historyEvent';
import { CommitLog, MAX_SEGMENT_BLOCKS } from './commitLog';
import { HubOwnership } from './hubOwnership';
import { chunkIndexOf, chunksIn, mergeHistoryRows } from './historyChunks';
import { entityOf, rowChangeOf, type RowChange } from './loggedRow';
import { PayloadBlobs } from './payloadBlobs';
import { PendingRows, rowIdOf, type PendingRow } from './pendingRows';
import { storeBackoffMs } from './storeBackoff';
import { noStoreObserver, type StoreObserver } from './storeObserver';
import { StoreOutage } from './storeOutage';
import { ShardCommitter } from './shardCommitter';
import { escapeId, odata, rowKeys, shardOf } from './tableKeys';
import {
  InvalidContinuationTokenError,
  StoreConflictError,
  type EpisodeCommit,
  type InstanceQuery,
  type InstanceRecord,
  type StoredMessage,
  type TaskHubStore,
  type Versioned,
} from './taskHubStore';

/** Texts longer than this go to a blob (a table string property holds 64 KiB of UTF-16). */
const INLINE_LIMIT = 30_000;
const UNFINISHED: RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];
/** How long a commit waits in the log before a checkpoint writes it to the table. */
const CHECKPOINT_AFTER_MS = 3000;
/** A checkpoint starts early when this many rows wait (bounds memory and what a restart reads). */
const CHECKPOINT_ROWS = 5000;

export interface TaskHubStoreOptions {
  /**
   * `owner` (the default) writes the hub: it holds the hub's lease and checkpoints the log.
   * `reader` only reads, the log included (a replay beside a running host).
   */
  role?: 'owner' | 'reader';
}

type Row = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string };

function conflict(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
}

/**
 * Our tokens wrap the table client's (base64 of {nextPartitionKey, nextRowKey}) in base64url. The
 * client would throw a SyntaxError on garbage and send anything else on as headers, so a token is
 * unwrapped and checked here first.
 */
function tableContinuationToken(token: string): string {
  const refuse = (): never => {
    throw new InvalidContinuationTokenError('The continuation token is not one this task hub handed out.');
  };
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) refuse();
  const inner = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(inner)) refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(inner, 'base64').toString('utf8'));
  } catch {
    return refuse();
  }
  const headerSafe = (value: unknown): boolean => typeof value === 'string' && /^[\x21-\x7e]{1,1024}$/.test(value);
  const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : [];
  const { nextPartitionKey, nextRowKey } = (parsed ?? {}) as Record<string, unknown>;
  if (
    keys.some((k) => k !== 'nextPartitionKey' && k !== 'nextRowKey') ||
    !headerSafe(nextPartitionKey) ||
    (nextRowKey !== undefined && !headerSafe(nextRowKey))
  )
    refuse();
  return inner;
}

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

const LOG_ETAG_PREFIX = 'W/"log-';

function etagOf(seq: number): string {
  return `${LOG_ETAG_PREFIX}${String(seq)}"`;
}

/** What `versions` keeps of a purged instance: gone, so any ETag is stale and a create is fine. */
const PURGED = 'purged';
const FINISHED: ReadonlySet<unknown> = new Set<RuntimeStatus>(['Completed', 'Failed', 'Terminated']);

function isMessageRow(rowKey: string): boolean {
  return rowKey.includes('|M|');
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
 */
export class LogStructuredTaskHubStore implements TaskHubStore {
  private readonly table: TableClient;
  private readonly blobs: PayloadBlobs;
  private readonly committers = new Map<string, ShardCommitter>();
  private readonly log: CommitLog;
  private readonly logContainer: ContainerClient;
  private readonly ownership: HubOwnership;
  private readonly pending = new PendingRows();
  private readonly role: 'owner' | 'reader';
  /** Inbox rows the table holds (read at start, then kept by checkpoints), to tell a resent message. */
  private readonly tableMessages = new Set<string>();
  /** Instances created since the last checkpoint of theirs: the table holds no other row of them. */
  private readonly fresh = new Set<string>();
  private seq = 0;
  /**
   * The current ETag of each instance this store wrote (a logged version looks like W/"log-7", a
   * direct write keeps the table's). The store is the hub's only writer, so an ETag for an
   * instance it has not written since it opened can only be the table's current one. A finished
   * instance is forgotten once checkpointed: nothing commits to it without reading it again.
   */
  private readonly versions = new Map<string, string>();
  /** Instances with a write under way: a second write meanwhile is a conflict. */
  private readonly writing = new Set<string>();
  /** Segments sealed and not yet deleted, oldest first (a failed checkpoint leaves its segment). */
  private readonly sealedSegments: number[] = [];
  private checkpoints: Promise<void> = Promise.resolve();
  /** A checkpoint asked for and not yet started: later requests share it (it will cover them too). */
  private queuedCheckpoint: Promise<void> | undefined;
  /** init() succeeded: close() has a lease to give back and a log to checkpoint. */
  private opened = false;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private observer: StoreObserver = noStoreObserver;
  /** Checkpoints failed in a row: the next one waits longer. */
  private checkpointFailures = 0;
  /** Whether storage answers, as the store's and the engine's retries see it. */
  readonly outage = new StoreOutage();

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
  }

  async init(): Promise<void> {
    if (this.role === 'reader') {
      for (const segment of await this.log.segments()) await this.loadSegment(segment);
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
        await this.loadSegment(segment);
        const rows = this.pending.upTo(segment);
        await this.writeToTable(rows);
        this.pending.settle(rows);
        await this.log.deleteSegment(segment);
      }
      await this.log.startSegment((segments.at(-1) ?? 0) + 1);
      const filter = `Kind eq 'M'`;
      for await (const row of this.table.listEntities({
        queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
      })) {
        this.tableMessages.add(rowIdOf(String(row.partitionKey), String(row.rowKey)));
      }
      this.opened = true;
    } catch (error) {
      await this.ownership.release();
      throw error;
    }
  }

  /** Writes what the log holds to the table and gives up the hub. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.checkpointTimer);
    if (this.role === 'reader' || !this.opened) return;
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
    this.observer = observer;
    this.log.observer = observer;
  }

  // --- the commit log ---------------------------------------------------------------------

  /** Takes what a segment left by an earlier run holds as the newest state of its rows. */
  private async loadSegment(segment: number): Promise<void> {
    for (const commit of await this.log.read(segment)) this.remember(commit, segment, ++this.seq, true);
  }

  /** Takes a durable commit's changes as the newest state of their rows. */
  private remember(changes: RowChange[], segment: number, seq: number, recovered = false): void {
    for (const change of changes) {
      const key = rowIdOf(change.partitionKey, change.rowKey);
      const before = this.pending.get(change.partitionKey, change.rowKey);
      // Whether the table held the row before the log changed it (a recovered log cannot tell: it may).
      const inTable =
        recovered || (before ? before.inTable : !isMessageRow(change.rowKey) || this.tableMessages.has(key));
      this.pending.set(change, seq, segment, inTable);
      if (change.rowKey.endsWith('|I') && !recovered) this.versions.set(change.rowKey, etagOf(seq));
    }
  }

  /** Appends one commit; its rows are readable, with version `seq`, as soon as it is durable. */
  private async append(changes: RowChange[], seq = ++this.seq): Promise<void> {
    if (this.role === 'reader') throw new Error(`Task hub ${this.hubName} is open for reading only.`);
    if (this.closed) throw new Error(`Task hub ${this.hubName} is closed.`);
    await this.log.append(changes, (segment) => this.remember(changes, segment, seq));
    this.scheduleCheckpoint();
  }

  /** Appends one commit of an instance's rows; resolves, once durable, with the version it gave the instance. */
  private async appendVersion(changes: RowChange[]): Promise<string> {
    const seq = ++this.seq;
    await this.append(changes, seq);
    return etagOf(seq);
  }

  /**
   * Checks `etag` against what this store knows of the instance and holds the instance for one
   * write, before anything is awaited, so two writes at the same moment cannot both pass. For a
   * create (no ETag) resolves whether the instance is known to be absent (no table read needed).
   */
  private claim(instanceId: string, etag: string | undefined): { rowKey: string; knownAbsent: boolean } {
    const rowKey = rowKeys.instance(instanceId);
    const known = this.versions.get(rowKey);
    if (this.writing.has(rowKey)) throw new StoreConflictError(`Instance ${instanceId} is being written.`);
    if (etag === undefined && known !== undefined && known !== PURGED)
      throw new StoreConflictError(`Instance ${instanceId} exists.`);
    if (etag !== undefined && known !== undefined && etag !== known)
      throw new StoreConflictError(`Instance ${instanceId} changed concurrently.`);
    this.writing.add(rowKey);
    return { rowKey, knownAbsent: known === PURGED };
  }

  private scheduleCheckpoint(): void {
    if (this.closed) return;
    if (
      this.checkpointFailures === 0 &&
      (this.pending.size >= CHECKPOINT_ROWS || this.log.blocks >= MAX_SEGMENT_BLOCKS)
    ) {
      clearTimeout(this.checkpointTimer);
      this.checkpointTimer = undefined;
      this.checkpointInBackground();
      return;
    }
    const delay = this.checkpointFailures === 0 ? CHECKPOINT_AFTER_MS : storeBackoffMs(this.checkpointFailures);
    this.checkpointTimer ??= setTimeout(() => {
      this.checkpointTimer = undefined;
      this.checkpointInBackground();
    }, delay);
    // The log is durable: a process that ends without closing the store loses nothing by not waiting.
    this.checkpointTimer.unref();
  }

  /**
   * A checkpoint nobody waits for. One that fails is tried again with backoff, however long
   * storage is away: on an idle host no later commit would ask for it, and the log would keep
   * growing with every restart's reading of it.
   */
  private checkpointInBackground(): void {
    void this.checkpoint().then(
      () => {
        if (this.checkpointFailures > 0) this.outage.succeeded();
        this.checkpointFailures = 0;
      },
      (error: unknown) => {
        this.checkpointFailures++;
        this.outage.failed(error);
        if (this.pending.size > 0 || this.sealedSegments.length > 0) this.scheduleCheckpoint();
      },
    );
  }

  /**
   * Seals the current segment, writes its rows to the table and deletes it. Resolves once every
   * commit made before the call is in the table; checkpoints run one at a time.
   */
  checkpoint(): Promise<void> {
    if (this.queuedCheckpoint) return this.queuedCheckpoint;
    const run = this.checkpoints.then(async () => {
      this.queuedCheckpoint = undefined;
      if (this.role === 'reader' || !this.opened) return;
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
          this.fresh.delete(change.rowKey);
          if (FINISHED.has(change.properties?.RuntimeStatus) && !this.pending.get(change.partitionKey, change.rowKey))
            this.versions.delete(change.rowKey);
        }
        for (const [rowKey, version] of this.versions) if (version === PURGED) this.versions.delete(rowKey);
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
          await this.committer(partitionKey).submit(changes.map(action));
        } catch (error) {
          if (!(error instanceof RestError && error.statusCode === 404)) throw error;
          // A row to delete is already gone (a crash after an earlier checkpoint wrote it): one by one.
          for (const c of changes) {
            await this.committer(partitionKey)
              .submit([action(c)])
              .catch((single: unknown) => {
                if (!(single instanceof RestError && single.statusCode === 404)) throw single;
              });
          }
        }
        for (const c of changes) {
          if (!isMessageRow(c.rowKey)) continue;
          const key = rowIdOf(partitionKey, c.rowKey);
          if (c.properties === null) this.tableMessages.delete(key);
          else this.tableMessages.add(key);
        }
      }),
    );
    return written.length;
  }

  private committer(partitionKey: string): ShardCommitter {
    let committer = this.committers.get(partitionKey);
    if (!committer) {
      committer = new ShardCommitter(this.table, partitionKey);
      this.committers.set(partitionKey, committer);
    }
    return committer;
  }

  // --- payload packing -------------------------------------------------------------------

  private async packText(
    instanceId: string,
    prop: string,
    text: string | null,
    into: Record<string, unknown>,
  ): Promise<void> {
    if (text === null) return;
    if (text.length <= INLINE_LIMIT) into[prop] = text;
    else into[`${prop}Blob`] = await this.blobs.put(escapeId(instanceId), text);
  }

  private async unpackText(row: Record<string, unknown>, prop: string): Promise<string | null> {
    const blob = row[`${prop}Blob`];
    if (typeof blob === 'string' && blob.length > 0) return this.blobs.get(blob);
    const value = row[prop];
    return typeof value === 'string' ? value : null;
  }

  private async instanceEntity(record: InstanceRecord): Promise<TableEntity> {
    const entity: TableEntity = {
      partitionKey: shardOf(record.instanceId),
      rowKey: rowKeys.instance(record.instanceId),
      Kind: 'I',
      InstanceId: record.instanceId,
      Name: record.name,
      Version: record.version,
      ExecutionId: record.executionId,
      RuntimeStatus: record.runtimeStatus,
      CreatedTime: record.createdTime,
      LastUpdatedTime: record.lastUpdatedTime,
      ParentInstance: record.parent ? JSON.stringify(record.parent) : '',
      Generation: record.generation,
      HistoryChunks: record.historyChunks,
    };
    if (record.completedTime) entity.CompletedTime = record.completedTime;
    await this.packText(record.instanceId, 'Input', record.input, entity);
    await this.packText(record.instanceId, 'Output', record.output, entity);
    await this.packText(record.instanceId, 'CustomStatus', record.customStatus, entity);
    return entity;
  }

  private async toRecord(row: Record<string, unknown>): Promise<InstanceRecord> {
    const parent =
      typeof row.ParentInstance === 'string' && row.ParentInstance.length > 0
        ? (JSON.parse(row.ParentInstance) as ParentInstance)
        : null;
    return {
      instanceId: String(row.InstanceId),
      name: String(row.Name),
      version: typeof row.Version === 'string' ? row.Version : '',
      executionId: String(row.ExecutionId),
      runtimeStatus: row.RuntimeStatus as RuntimeStatus,
      createdTime: asDate(row.CreatedTime),
      lastUpdatedTime: asDate(row.LastUpdatedTime),
      completedTime: row.CompletedTime ? asDate(row.CompletedTime) : null,
      input: await this.unpackText(row, 'Input'),
      output: await this.unpackText(row, 'Output'),
      customStatus: await this.unpackText(row, 'CustomStatus'),
      parent,
      generation: Number(row.Generation ?? 0),
      historyChunks: Number(row.HistoryChunks ?? 0),
    };
  }

  // --- reads ------------------------------------------------------------------------------

  async getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    const rowKey = rowKeys.instance(instanceId);
    const logged = this.pending.get(shardOf(instanceId), rowKey);
    if (logged) {
      const properties = logged.change.properties;
      return properties ? { value: await this.toRecord(properties), etag: etagOf(logged.seq) } : undefined;
    }
    // Read before the table: a commit that lands meanwhile must not lend its version to an older row.
    const known = this.versions.get(rowKey);
    const row = await this.tableInstanceRow(instanceId);
    if (!row) return undefined;
    if (this.versions.get(rowKey) !== known) return this.getInstance(instanceId);
    // Checkpointed since this store wrote it: the version this store handed out stays its ETag.
    return { value: await this.toRecord(row), etag: known !== undefined && known !== PURGED ? known : row.etag };
  }

  /** The instance row as the table holds it, or undefined. */
  private async tableInstanceRow(instanceId: string): Promise<TableEntityResult<Record<string, unknown>> | undefined> {
    try {
      return await this.table.getEntity(shardOf(instanceId), rowKeys.instance(instanceId));
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * The instance's rows in [from, to): the table's, with what the log holds over them. The table
   * is not asked when the caller knows it holds none (`tableMayHold`).
   */
  private async rangeRows(
    instanceId: string,
    from: string,
    to: string,
    tableMayHold = true,
    withLog = true,
  ): Promise<Row[]> {
    const partitionKey = shardOf(instanceId);
    const rows = new Map<string, Row>();
    // What the log holds now: a checkpoint that writes and settles these while the table is read
    // would otherwise hide them from both.
    const before = withLog ? this.pending.range(from, to) : [];
    if (tableMayHold) {
      const filter = `PartitionKey eq ${odata(partitionKey)} and RowKey ge ${odata(from)} and RowKey lt ${odata(to)}`;
      for await (const row of this.table.listEntities({ queryOptions: { filter } }))
        rows.set(row.rowKey ?? '', row as Row);
    }
    for (const { change } of [...before, ...(withLog ? this.pending.range(from, to) : [])]) {
      if (change.properties === null) rows.delete(change.rowKey);
      else rows.set(change.rowKey, { ...change.properties, partitionKey, rowKey: change.rowKey, etag: '' });
    }
    return [...rows.values()];
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    const prefix = rowKeys.historyPrefix(record.instanceId, record.executionId);
    // An instance created since its last checkpoint has no history row in the table yet.
    const fresh = this.fresh.has(rowKeys.instance(record.instanceId));
    const rows = await this.rangeRows(record.instanceId, prefix, prefix + '~', !fresh);
    rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
    const events: HistoryEvent[] = [];
    // Row n holds episode n, or episodes n… when a checkpoint merged them; rows past the record's
    // count, or covered by a merged row (a read that overlapped its checkpoint), are not read.
    let next = 0;
    for (const row of rows) {
      const index = chunkIndexOf(row.rowKey);
      if (index < next) continue;
      if (index >= record.historyChunks) break;
      const text = await this.unpackText(row, 'Events');
      events.push(...(JSON.parse(text ?? '[]') as HistoryEvent[]));
      next = index + chunksIn(row);
    }
    return events;
  }

  async getMessages(instanceId: string): Promise<StoredMessage[]> {
    const prefix = rowKeys.messagePrefix(instanceId);
    const rows = await this.rangeRows(instanceId, prefix, prefix + '~');
    return Promise.all(rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1)).map((row) => this.toMessage(row)));
  }

  private async toMessage(row: Record<string, unknown>): Promise<StoredMessage> {
    return {
      id: String(row.MessageId),
      instanceId: String(row.InstanceId),
      event: JSON.parse((await this.unpackText(row, 'Event')) ?? 'null') as HistoryEvent,
    };
  }

  // --- writes -----------------------------------------------------------------------------

  private instanceAction(entity: TableEntity, etag: string | undefined): TransactionAction {
    return etag === undefined ? ['create', entity] : ['update', entity, 'Replace', { etag }];
  }

  private async submit(instanceId: string, actions: TransactionAction[]): Promise<Map<string, string>> {
    try {
      return await this.committer(shardOf(instanceId)).submit(actions);
    } catch (error) {
      if (conflict(error)) throw new StoreConflictError(`Instance ${instanceId} changed concurrently.`);
      throw error;
    }
  }

  /**
   * Writes the instance row straight to the table (a start needs to know at once whether the id
   * is taken), unless the host made the id up. Whatever the log holds of the instance is
   * checkpointed first, so the table's row and ETag are current.
   */
  async putInstance(
    record: InstanceRecord,
    etag: string | undefined,
    options: { newId?: boolean } = {},
  ): Promise<string> {
    const { rowKey } = this.claim(record.instanceId, etag);
    try {
      if (etag === undefined && options.newId) {
        // Nobody else can hold an id made up just now: the create needs no table round trip and
        // shares an append with the episodes committing beside it, like any commit.
        const version = await this.appendVersion([rowChangeOf(await this.instanceEntity(record))]);
        this.fresh.add(rowKey);
        return version;
      }
      const tableEtag = etag === undefined ? undefined : await this.tableEtagFor(record.instanceId, etag);
      const entity = await this.instanceEntity(record);
      const written =
        (await this.submit(record.instanceId, [this.instanceAction(entity, tableEtag)])).get(rowKey) ?? '';
      this.versions.set(rowKey, written);
      if (etag === undefined) this.fresh.add(rowKey);
      return written;
    } finally {
      this.writing.delete(rowKey);
    }
  }

  /**
   * The table's ETag to write a claimed instance with: a version this store handed out stands
   * for the table's current row once the log's rows of the instance are checkpointed.
   */
  private async tableEtagFor(instanceId: string, etag: string): Promise<string> {
    // Decided before the checkpoint, which forgets the versions of finished instances.
    const handedOut = this.versions.has(rowKeys.instance(instanceId)) || etag.startsWith(LOG_ETAG_PREFIX);
    await this.settleForDirectWrite(instanceId);
    return handedOut ? ((await this.currentTableEtag(instanceId)) ?? etag) : etag;
  }

  /**
   * Before a write straight to the table: the log's rows of the instance are in the table, and no
   * sealed segment that still holds them is left for a restart to apply over the write.
   */
  private async settleForDirectWrite(instanceId: string): Promise<void> {
    const { from, to } = rowKeys.instanceRange(instanceId);
    if (this.pending.range(from, to).length > 0 || this.sealedSegments.length > 0 || this.queuedCheckpoint)
      await this.checkpoint();
    else await this.checkpoints;
  }

  /** The instance row's ETag in the table (after a checkpoint made it current). */
  private async currentTableEtag(instanceId: string): Promise<string | undefined> {
    return (await this.tableInstanceRow(instanceId))?.etag;
  }

  /**
   * Appends the episode to the commit log: durable when this resolves, in the table after the
   * next checkpoint. The ETag is checked against the newest logged version of the instance (this
   * host is the hub's only writer); a new instance is checked against the table.
   */
  async commitEpisode(commit: EpisodeCommit): Promise<string> {
    const { record } = commit;
    const { rowKey, knownAbsent } = this.claim(record.instanceId, commit.etag);
    try {
      if (commit.etag === undefined) {
        if (!knownAbsent && (await this.currentTableEtag(record.instanceId)))
          throw new StoreConflictError(`Instance ${record.instanceId} exists.`);
        // Nothing of it is in the table: its history is read from the log alone until checkpointed.
        this.fresh.add(rowKey);
      }
      return await this.appendVersion(await this.episodeChanges(commit));
    } finally {
      this.writing.delete(rowKey);
    }
  }

  private async episodeChanges(commit: EpisodeCommit): Promise<RowChange[]> {
    const { record } = commit;
    const partitionKey = shardOf(record.instanceId);
    const changes: RowChange[] = [rowChangeOf(await this.instanceEntity(record))];
    if (commit.newHistory.length > 0) {
      const historyRow: TableEntity = {
        partitionKey,
        rowKey: rowKeys.history(record.instanceId, commit.historyRow.executionId, commit.historyRow.index),
        Kind: 'H',
      };
      await this.packText(record.instanceId, 'Events', JSON.stringify(commit.newHistory), historyRow);
      changes.push(rowChangeOf(historyRow));
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
    if (logged ? logged.change.properties !== null : this.tableMessages.has(rowIdOf(row.partitionKey, row.rowKey)))
      return undefined;
    await this.packText(message.instanceId, 'Event', JSON.stringify(message.event), row);
    return rowChangeOf(row);
  }

  async addMessage(message: StoredMessage): Promise<void> {
    // The same message delivered twice (a resend after a crash) is there already.
    const row = await this.messageRow(message);
    if (row) await this.append([row]);
  }

  async replaceHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string> {
    const { rowKey } = this.claim(record.instanceId, etag);
    try {
      const written = await this.rewriteHistory(record, await this.tableEtagFor(record.instanceId, etag), history);
      this.versions.set(rowKey, written);
      return written;
    } finally {
      this.writing.delete(rowKey);
    }
  }

  /** Rewind's write, straight to the table: the history as one row, the others deleted. */
  private async rewriteHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string> {
    const partitionKey = shardOf(record.instanceId);
    const prefix = rowKeys.historyPrefix(record.instanceId, record.executionId);
    const rows = await this.rangeRows(record.instanceId, prefix, prefix + '~');
    const rewritten: InstanceRecord = { ...record, historyChunks: 1 };
    const historyRow: TableEntity = {
      partitionKey,
      rowKey: rowKeys.history(record.instanceId, record.executionId, 0),
      Kind: 'H',
    };
    await this.packText(record.instanceId, 'Events', JSON.stringify(history), historyRow);
    const entity = await this.instanceEntity(rewritten);
    const actions: TransactionAction[] = [
      this.instanceAction(entity, etag),
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
    const stale = (await this.rangeRows(record.instanceId, from, to)).filter(
      (r) => r.Kind === 'H' && !r.rowKey.startsWith(current),
    );
    if (stale.length === 0) return;
    await this.committer(shardOf(record.instanceId)).submit(
      stale.map((r) => ['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]),
    );
  }

  async purgeInstance(instanceId: string): Promise<boolean> {
    const { from, to } = rowKeys.instanceRange(instanceId);
    const rowKey = rowKeys.instance(instanceId);
    // An episode of the instance that is committing finishes first; none starts until the purge is done.
    while (this.writing.has(rowKey)) await new Promise((resolve) => setTimeout(resolve, 5));
    this.writing.add(rowKey);
    try {
      await this.settleForDirectWrite(instanceId);
      this.fresh.delete(rowKey);
      // The table's rows only: what the log gained since is not in the table to delete.
      const rows = await this.rangeRows(instanceId, from, to, true, false);
      // Rows left without an instance (messages to a purged one) go too; the answer is whether an instance was there.
      if (rows.length > 0)
        await this.committer(shardOf(instanceId)).submit(
          rows.map((r) => ['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]),
        );
      this.pending.forgetInstance(rowKey);
      for (const r of rows) this.tableMessages.delete(rowIdOf(r.partitionKey, r.rowKey));
      this.versions.set(rowKey, PURGED);
      const existed = rows.some((r) => r.Kind === 'I');
      if (existed) await this.blobs.deleteAll(escapeId(instanceId));
      return existed;
    } finally {
      this.writing.delete(rowKey);
    }
  }

  // --- queries ----------------------------------------------------------------------------

  /** Queries read the table: what the log holds is checkpointed first, so they see every commit. */
  async queryInstances(
    query: InstanceQuery,
  ): Promise<{ records: InstanceRecord[]; continuationToken: string | undefined }> {
    await this.checkpoint();
    const clauses = [`Kind eq 'I'`];
    if (query.createdTimeFrom) clauses.push(`CreatedTime ge datetime'${query.createdTimeFrom.toISOString()}'`);
    if (query.createdTimeTo) clauses.push(`CreatedTime le datetime'${query.createdTimeTo.toISOString()}'`);
    if (query.runtimeStatus && query.runtimeStatus.length > 0) {
      clauses.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${odata(s)}`).join(' or ')})`);
    }
    if (query.instanceIdPrefix) {
      const prefix = escapeId(query.instanceIdPrefix);
      clauses.push(`RowKey ge ${odata(prefix)} and RowKey lt ${odata(prefix + '~')}`);
    }
    const pages = this.table.listEntities({ queryOptions: { filter: clauses.join(' and ') } }).byPage({
      // Table storage answers at most 1,000 entities a page (and refuses a larger $top); more follow the token.
      maxPageSize: Math.min(query.top ?? 100, 1000),
      continuationToken: query.continuationToken ? tableContinuationToken(query.continuationToken) : undefined,
    });
    let page: (Row[] & { continuationToken?: string }) | undefined;
    try {
      page = (await pages.next()).value as (Row[] & { continuationToken?: string }) | undefined;
    } catch (error) {
      // Well-formed but naming no place in this table: the service refuses it with 400.
      if (query.continuationToken && error instanceof RestError && error.statusCode === 400)
        throw new InvalidContinuationTokenError('The continuation token is not one this task hub handed out.');
      throw error;
    }
    if (!page) return { records: [], continuationToken: undefined };
    const records = await Promise.all(page.map((row) => this.toRecord(row)));
    const token = page.continuationToken
      ? Buffer.from(page.continuationToken, 'utf8').toString('base64url')
      : undefined;
    return { records, continuationToken: token };
  }

  async findUnfinished(): Promise<{ records: Versioned<InstanceRecord>[]; messages: StoredMessage[] }> {
    await this.checkpoint();
    const records: Versioned<InstanceRecord>[] = [];
    const messages: StoredMessage[] = [];
    // The service filters: finished instances, however many the hub holds, never reach the host.
    const unfinished = UNFINISHED.map((s) => `RuntimeStatus eq ${odata(s)}`).join(' or ');
    for await (const row of this.table.listEntities({
      queryOptions: { filter: `(Kind eq 'I' and (${unfinished})) or Kind eq 'M'` },
    })) {
      if (row.Kind === 'M') messages.push(await this.toMessage(row));
      else records.push({ value: await this.toRecord(row), etag: row.etag });
    }
    messages.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { records, messages };
  }
}

import type { StoreOutage } from './storeOutage';
import type { HistoryEvent, ParentInstance, RuntimeStatus } from '../durable/history/historyEvent';

/** What the host keeps about one orchestration instance (its current execution). */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  version: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  createdTime: Date;
  lastUpdatedTime: Date;
  completedTime: Date | null;
  /** JSON text, as the extension stores it. */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  parent: ParentInstance | null;
  generation: number;
  /** History rows of the current execution; row n holds the events of episode n. */
  historyChunks: number;
}

/** A message waiting in an instance's inbox: the history event it will append. */
export interface StoredMessage {
  id: string;
  instanceId: string;
  event: HistoryEvent;
}

/** One orchestration episode, committed atomically or not at all. */
export interface EpisodeCommit {
  record: InstanceRecord;
  /** The ETag the record was read with; undefined when the instance row is new. */
  etag: string | undefined;
  /** Events appended by this episode, stored as history row `historyRow.index` of that execution. */
  newHistory: HistoryEvent[];
  historyRow: { executionId: string; index: number };
  consumedMessageIds: string[];
  /**
   * Messages to other instances, stored in their inboxes by the same commit (an outbox): what an
   * entity answers must not be lost between its commit and the answer's own write.
   */
  sentMessages?: StoredMessage[];
}

export interface InstanceQuery {
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
  top?: number;
  continuationToken?: string;
}

export interface Versioned<T> {
  value: T;
  etag: string;
}

/** The instance changed under us (another host on the same hub, or a racing request). */
export class StoreConflictError extends Error {}

/** A continuation token this store did not hand out (mangled, from another hub, or made up). */
export class InvalidContinuationTokenError extends Error {}

/**
 * The durable state of one task hub. Implementations keep an episode atomic: history, the
 * instance record and the consumed messages change together.
 */
export interface TaskHubStore {
  readonly hubName: string;
  /** Whether storage answers, as the retries of the host's work see it (told once per outage). */
  readonly outage: StoreOutage;
  init(): Promise<void>;
  getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined>;
  getHistory(record: InstanceRecord): Promise<HistoryEvent[]>;
  getMessages(instanceId: string): Promise<StoredMessage[]>;
  /**
   * Writes a new instance (etag undefined: must not exist) or replaces a finished one. Returns the
   * new ETag. `newId`: the host made the id up for this start, so no instance can hold it and the
   * store need not ask.
   */
  putInstance(record: InstanceRecord, etag: string | undefined, options?: { newId?: boolean }): Promise<string>;
  commitEpisode(commit: EpisodeCommit): Promise<string>;
  /** Idempotent by message id. */
  addMessage(message: StoredMessage): Promise<void>;
  queryInstances(query: InstanceQuery): Promise<{ records: InstanceRecord[]; continuationToken: string | undefined }>;
  /**
   * Unfinished instances and every waiting message: what a restart must finish. Finished ones are
   * not read, so a restart reads what is unfinished however many instances the hub holds.
   */
  findUnfinished(): Promise<{ records: Versioned<InstanceRecord>[]; messages: StoredMessage[] }>;
  /** Deletes everything of the instance (stray inbox rows included); false when no instance was there. */
  purgeInstance(instanceId: string): Promise<boolean>;
  /**
   * Replaces the current execution's history with `history` (one row) and writes the record:
   * what a rewind does to the failed events.
   */
  replaceHistory(record: InstanceRecord, etag: string, history: HistoryEvent[]): Promise<string>;
  /** Drops history rows of executions other than the record's current one. */
  dropOldExecutions(record: InstanceRecord): Promise<void>;
  close(): Promise<void>;
}

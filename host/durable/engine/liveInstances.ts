import type { HostLogger } from '../../logging/hostLogger';
import { storeBackoffMs } from '../../store/storeBackoff';
import { isStorageFailure } from '../../store/storeOutage';
import type { InstanceRecord, TaskHubStore, Versioned } from '../../store/taskHubStore';
import type { HistoryEvent } from '../history/historyEvent';
import type { TimerScheduler } from './timerScheduler';

export interface QueuedMessage {
  event: HistoryEvent;
  /** Id of the durable inbox row, deleted by the episode that consumes the message. */
  storedId?: string;
}

export interface LiveInstance {
  id: string;
  state: { record: InstanceRecord; etag: string | undefined; history: HistoryEvent[] } | undefined;
  queue: QueuedMessage[];
  /** Run an episode even without messages (a new or continued-as-new execution). */
  wake: boolean;
  running: boolean;
  scheduled: boolean;
  /** The last episode could consume nothing (suspended): wait for a new message before trying again. */
  stalled: boolean;
  /** Episodes that failed in a row; the next try waits longer. */
  failures: number;
  /** Set while the instance waits to try a failed episode again; it is not scheduled meanwhile. */
  retryTimer: NodeJS.Timeout | undefined;
}

/**
 * The instances this host holds in memory (their committed state, the messages queued for them)
 * and when each runs its next episode: one at a time per instance, a bounded number at once.
 */
export class LiveInstances {
  private readonly live = new Map<string, LiveInstance>();
  private readonly ready: LiveInstance[] = [];
  private activeEpisodes = 0;
  /** Instances waiting out the backoff after a failed episode. */
  private retrying = 0;
  private isStopping = false;
  /**
   * While recovery loads what the store holds, no episode runs: an episode committing meanwhile
   * would leave recovery holding an older copy of that instance than the store has.
   */
  private isRecovering = false;

  constructor(
    private readonly store: TaskHubStore,
    private readonly timers: TimerScheduler,
    private readonly logger: HostLogger,
    private readonly maxConcurrentEpisodes: number,
    private readonly runEpisode: (live: LiveInstance) => Promise<void>,
  ) {}

  get stopping(): boolean {
    return this.isStopping;
  }

  get recovering(): boolean {
    return this.isRecovering;
  }

  get(instanceId: string): LiveInstance | undefined {
    return this.live.get(instanceId);
  }

  has(instanceId: string): boolean {
    return this.live.has(instanceId);
  }

  of(instanceId: string): LiveInstance {
    let live = this.live.get(instanceId);
    if (!live) {
      live = {
        id: instanceId,
        state: undefined,
        queue: [],
        wake: false,
        running: false,
        scheduled: false,
        stalled: false,
        failures: 0,
        retryTimer: undefined,
      };
      this.live.set(instanceId, live);
    }
    return live;
  }

  forget(instanceId: string): void {
    const live = this.live.get(instanceId);
    if (live === undefined) return;
    // One that runs, waits in the ready queue or waits out a retry runs once more as it is: it
    // finds the instance gone and leaves. Dropped from the map, it would run beside the next
    // object made for the same id (a new start), two episodes of one instance at once.
    if (live.running || live.scheduled || live.retryTimer !== undefined) live.state = undefined;
    else this.live.delete(instanceId);
  }

  async getRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    return (await this.versioned(instanceId))?.value;
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    const cached = this.live.get(record.instanceId)?.state;
    if (cached?.record.executionId === record.executionId) return cached.history;
    return this.store.getHistory(record);
  }

  async versioned(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    return this.inMemory(instanceId) ?? this.store.getInstance(instanceId);
  }

  /** The committed state of an instance this host holds in memory, if it holds one. */
  inMemory(instanceId: string): Versioned<InstanceRecord> | undefined {
    const state = this.live.get(instanceId)?.state;
    return state?.etag !== undefined ? { value: state.record, etag: state.etag } : undefined;
  }

  deliver(instanceId: string, message: QueuedMessage): void {
    const live = this.of(instanceId);
    // A message stored while recovery read the inbox arrives twice: from its sender and from recovery.
    if (message.storedId !== undefined && live.queue.some((queued) => queued.storedId === message.storedId)) return;
    live.queue.push(message);
    live.stalled = false;
    this.schedule(live);
  }

  schedule(live: LiveInstance): void {
    if (
      live.running ||
      live.scheduled ||
      live.retryTimer !== undefined ||
      (!live.wake && (live.queue.length === 0 || live.stalled))
    )
      return;
    live.scheduled = true;
    this.ready.push(live);
    this.pump();
  }

  private pump(): void {
    while (
      !this.isStopping &&
      !this.isRecovering &&
      this.activeEpisodes < this.maxConcurrentEpisodes &&
      this.ready.length > 0
    ) {
      const live = this.ready.shift();
      if (live === undefined) break;
      live.scheduled = false;
      live.running = true;
      this.activeEpisodes++;
      void this.runEpisode(live).finally(() => {
        live.running = false;
        this.activeEpisodes--;
        if (live.state === undefined && live.queue.length === 0 && !live.wake && live.retryTimer === undefined)
          this.live.delete(live.id);
        this.schedule(live);
        this.pump();
        if (this.activeEpisodes === 0 && this.ready.length === 0) this.timers.quiet();
      });
    }
  }

  /**
   * Runs the instance again after a failed episode, from what it last committed, once a backoff
   * has passed (longer with each failure in a row), the way the Azure Storage provider abandons a
   * work item and sees it again: an episode is never dropped, however long storage is away.
   */
  retryLater(live: LiveInstance, error: unknown): void {
    live.failures++;
    const delay = storeBackoffMs(live.failures);
    if (isStorageFailure(error)) this.store.outage.failed(error);
    else
      this.logger.error(
        `Episode of ${live.id} failed and will be retried in ${delay} ms: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    this.retrying++;
    live.retryTimer = setTimeout(() => {
      live.retryTimer = undefined;
      this.retrying--;
      this.schedule(live);
    }, delay);
  }

  async whileRecovering<T>(load: () => Promise<T>): Promise<T> {
    this.isRecovering = true;
    try {
      return await load();
    } finally {
      this.isRecovering = false;
      this.pump();
      this.timers.quiet();
    }
  }

  isIdle(): boolean {
    return !this.isRecovering && this.activeEpisodes === 0 && this.retrying === 0 && this.ready.length === 0;
  }

  get queued(): number {
    return this.ready.length;
  }

  stop(): void {
    this.isStopping = true;
  }

  drained(graceMs: number): Promise<void> {
    return Promise.race([
      new Promise<void>((resolve) => {
        const check = (): void => (this.activeEpisodes === 0 ? resolve() : void setTimeout(check, 20));
        check();
      }),
      new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
  }
}

import { randomUUID } from 'node:crypto';
import type { HostLogger } from '../../logging/hostLogger';
import { retryWhileStorageFails, storeBackoffMs } from '../../store/storeBackoff';
import { isStorageFailure } from '../../store/storeOutage';
import {
  StoreConflictError,
  type InstanceQuery,
  type InstanceRecord,
  type TaskHubStore,
  type Versioned,
} from '../../store/taskHubStore';
import {
  dotNetTime,
  EventType,
  historyEvents,
  OrchestrationStatus,
  type HistoryEvent,
  type ParentInstance,
} from '../history/historyEvent';
import { pendingWork } from '../history/pendingWork';
import type { NewWork } from './actionReplay';
import type { ActivityRunner } from './activityRunner';
import type { Clock } from './clock';
import { isFinished, type OrchestrationEpisodes } from './orchestrationEpisode';
import type { TimerScheduler } from './timerScheduler';
import { noObserver, type EngineObserver } from './engineObserver';
import { entityIdOf, operationRequest, type EntityEpisodes, type OutgoingMessage } from './entityEpisode';
import { entityEventName, RELEASE_EVENT, type RequestMessage } from './entityMessages';

interface QueuedMessage {
  event: HistoryEvent;
  /** Id of the durable inbox row, deleted by the episode that consumes the message. */
  storedId?: string;
}

interface LiveInstance {
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

export interface StartRequest {
  name: string;
  instanceId: string;
  input: string | null;
  version: string;
  parent?: ParentInstance | null;
  /** The host made the id up for this start (the client named none): no instance can hold it. */
  newId?: boolean;
}

/** The id is taken by an instance that has not finished (the extension answers 500). */
export class InstanceAlreadyExistsError extends Error {
  constructor(
    readonly instanceId: string,
    status: string,
  ) {
    super(`An Orchestration instance with the status ${status} already exists.`);
  }
}

export interface EngineDependencies {
  store: TaskHubStore;
  episodes: OrchestrationEpisodes;
  activities: ActivityRunner;
  timers: TimerScheduler;
  clock: Clock;
  logger: HostLogger;
  maxConcurrentOrchestrations: number;
  observer?: EngineObserver;
  entities: EntityEpisodes;
}

let messageCounter = 0;

/** How often the host looks for unfinished instances it does not hold (see adoptOrphans). */
const ORPHAN_SWEEP_MS = 10_000;

/** Inbox row ids sort by arrival, so a restart delivers messages in the order they came. */
function newMessageId(now: Date): string {
  messageCounter = (messageCounter + 1) % 1_000_000;
  return `${now.getTime().toString(36).padStart(9, '0')}-${String(messageCounter).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
}

/**
 * Runs orchestrations: one episode at a time per instance, a bounded number at once. Every
 * episode is committed to the store before its work starts; the work then runs from memory, and
 * what a crash interrupts is found again in the store by `recover()`.
 */
export class DurableEngine {
  private readonly live = new Map<string, LiveInstance>();
  private readonly ready: LiveInstance[] = [];
  private activeEpisodes = 0;
  /** Instances waiting out the backoff after a failed episode. */
  private retrying = 0;
  private stopping = false;
  /**
   * While recovery loads what the store holds, no episode runs: an episode committing meanwhile
   * would leave recovery holding an older copy of that instance than the store has.
   */
  private recovering = false;
  /** Ids whose start is writing them now: not orphans, whatever the store already shows. */
  private readonly starting = new Set<string>();
  private orphanSweep: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly deps: EngineDependencies) {}

  // --- client operations ----------------------------------------------------------------------

  async getRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    return (await this.versioned(instanceId))?.value;
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    const cached = this.live.get(record.instanceId)?.state;
    if (cached?.record.executionId === record.executionId) return cached.history;
    return this.deps.store.getHistory(record);
  }

  private newRecord(request: StartRequest, generation: number): InstanceRecord {
    const now = this.deps.clock.now();
    return {
      instanceId: request.instanceId,
      name: request.name,
      version: request.version,
      executionId: randomUUID().replace(/-/g, ''),
      runtimeStatus: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      completedTime: null,
      input: request.input,
      output: null,
      customStatus: null,
      parent: request.parent ?? null,
      generation,
      historyChunks: 0,
    };
  }

  async startInstance(request: StartRequest): Promise<InstanceRecord> {
    this.starting.add(request.instanceId);
    try {
      return await this.startOrRefuse(request);
    } finally {
      this.starting.delete(request.instanceId);
    }
  }

  private async startOrRefuse(request: StartRequest): Promise<InstanceRecord> {
    let existing = this.inMemory(request.instanceId);
    if (!existing) {
      // Most starts take a new id: create it at once, and read what is there only if that fails.
      const record = this.newRecord(request, 0);
      try {
        return this.started(record, await this.deps.store.putInstance(record, undefined, { newId: request.newId }));
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
      }
      existing = await this.deps.store.getInstance(request.instanceId);
    }
    if (existing && !isFinished(existing.value))
      throw new InstanceAlreadyExistsError(request.instanceId, existing.value.runtimeStatus);
    const record = this.newRecord(request, existing ? existing.value.generation + 1 : 0);
    let etag: string;
    try {
      etag = await this.deps.store.putInstance(record, existing?.etag);
    } catch (error) {
      if (error instanceof StoreConflictError) throw new InstanceAlreadyExistsError(request.instanceId, 'Pending');
      throw error;
    }
    if (existing) void this.deps.store.dropOldExecutions(record).catch(() => undefined);
    return this.started(record, etag);
  }

  private started(record: InstanceRecord, etag: string): InstanceRecord {
    const live = this.liveOf(record.instanceId);
    live.state = { record, etag, history: [] };
    live.wake = true;
    this.schedule(live);
    return record;
  }

  /** Appends a message (event, terminate, suspend, resume) to the instance's durable inbox, then runs it. */
  async sendMessage(
    instanceId: string,
    event: HistoryEvent,
    messageId = newMessageId(this.deps.clock.now()),
  ): Promise<void> {
    await this.deps.store.addMessage({ id: messageId, instanceId, event });
    this.deliver(instanceId, { event, storedId: messageId });
  }

  queryInstances(query: InstanceQuery): ReturnType<TaskHubStore['queryInstances']> {
    return this.deps.store.queryInstances(query);
  }

  async purge(instanceId: string): Promise<boolean> {
    const deleted = await this.deps.store.purgeInstance(instanceId);
    const live = this.live.get(instanceId);
    if (live && !live.running) this.live.delete(instanceId);
    else if (live) live.state = undefined;
    return deleted;
  }

  /**
   * Rewinds a Failed instance the way the Azure Storage provider does: the failure events of the
   * current execution (and the scheduling events of failed activities) become GenericEvents, so a
   * replay schedules the failed tasks again; failed sub-orchestrations are rewound the same way;
   * the deepest failed instances get a message that wakes them.
   */
  async rewind(instanceId: string, reason: string | null): Promise<void> {
    const found = await this.versioned(instanceId);
    if (found?.value.runtimeStatus !== 'Failed') return;
    const record = found.value;
    const history = await this.getHistory(record);
    const now = this.deps.clock.now();
    const rewound = (e: HistoryEvent): HistoryEvent => ({
      ...e,
      EventType: EventType.GenericEvent,
      Data: `Rewound: ${EventType[e.EventType]}`,
    });
    const failedTasks = new Set(
      history.filter((e) => e.EventType === EventType.TaskFailed).map((e) => e.TaskScheduledId),
    );
    const failedChildren: string[] = [];
    const rewritten = history.map((e) => {
      if (e.EventType === EventType.ExecutionCompleted && e.OrchestrationStatus === OrchestrationStatus.Failed)
        return rewound(e);
      if (e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed)
        return rewound(e);
      if (e.EventType === EventType.TaskScheduled && failedTasks.has(e.EventId)) return rewound(e);
      return e;
    });
    for (const e of history) {
      if (e.EventType !== EventType.SubOrchestrationInstanceFailed) continue;
      const created = history.find(
        (c) => c.EventType === EventType.SubOrchestrationInstanceCreated && c.EventId === e.TaskScheduledId,
      );
      if (created?.InstanceId) failedChildren.push(created.InstanceId);
    }
    const revived: InstanceRecord = {
      ...record,
      runtimeStatus: 'Running',
      output: null,
      completedTime: null,
      lastUpdatedTime: now,
    };
    const etag = await this.deps.store.replaceHistory(revived, found.etag, rewritten);
    const live = this.liveOf(instanceId);
    live.state = { record: { ...revived, historyChunks: 1 }, etag, history: rewritten };
    let childRewound = false;
    for (const child of failedChildren) {
      const childRecord = await this.getRecord(child);
      if (childRecord?.runtimeStatus === 'Failed') {
        await this.rewind(child, reason);
        childRewound = true;
      }
    }
    if (!childRewound) await this.sendMessage(instanceId, historyEvents.genericEvent(now, reason));
  }

  /** No episode runs or waits and no activity is in flight: only timers or outside events can move anything. */
  isIdle(): boolean {
    return (
      !this.recovering &&
      this.activeEpisodes === 0 &&
      this.retrying === 0 &&
      this.ready.length === 0 &&
      this.deps.activities.inFlight === 0
    );
  }

  get queuedEpisodes(): number {
    return this.ready.length;
  }

  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    clearInterval(this.orphanSweep);
    this.deps.timers.stop();
    await Promise.race([
      new Promise<void>((resolve) => {
        const check = (): void => (this.activeEpisodes === 0 ? resolve() : void setTimeout(check, 20));
        check();
      }),
      new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
  }

  // --- recovery -------------------------------------------------------------------------------

  /** Finds what a previous run left unfinished and finishes it: episodes, activities, timers, children. */
  async recover(): Promise<{ instances: number; messages: number }> {
    this.recovering = true;
    try {
      return await this.recoverFromStore();
    } finally {
      this.recovering = false;
      this.pump();
      this.deps.timers.quiet();
    }
  }

  private async recoverFromStore(): Promise<{ instances: number; messages: number }> {
    // A storage failure while a start reads the store is waited out, not a reason to stop the host.
    const { records, messages } = await this.untilStored(() => this.deps.store.findUnfinished());
    await this.takeUp(records, new Set(records.map((r) => r.value.instanceId)), false);
    for (const message of messages) this.deliver(message.instanceId, { event: message.event, storedId: message.id });
    this.orphanSweep ??= setInterval(() => void this.adoptOrphans(), ORPHAN_SWEEP_MS);
    this.orphanSweep.unref();
    return { instances: records.length, messages: messages.length };
  }

  /**
   * Unfinished instances the store holds and this host does not, taken up as recovery takes them
   * up. A write still on its way when the previous host was killed (a start through a proxy, a
   * request a storage node applied late) can land after recovery read the store, and nothing else
   * would ever run that instance: the Azure Storage provider finds such work by polling its queues.
   */
  private async adoptOrphans(): Promise<void> {
    if (this.sweeping || this.stopping || this.recovering) return;
    this.sweeping = true;
    try {
      const { records, messages } = await this.deps.store.findUnfinished();
      const orphans = records.filter((r) => !this.holds(r.value.instanceId));
      if (orphans.length === 0) return;
      const ids = new Set(orphans.map((r) => r.value.instanceId));
      this.deps.logger.warn(
        `Taking up ${ids.size} unfinished instance(s) the store holds and this host did not: ${[...ids].slice(0, 5).join(', ')}${ids.size > 5 ? ', …' : ''}`,
      );
      await this.takeUp(orphans, new Set(records.map((r) => r.value.instanceId)), true);
      for (const message of messages)
        if (ids.has(message.instanceId))
          this.deliver(message.instanceId, { event: message.event, storedId: message.id });
    } catch {
      // Storage failing: the outage is reported by the store, and the next sweep tries again.
    } finally {
      this.sweeping = false;
    }
  }

  /** This host runs the instance or is starting it (its first write may not be stored yet). */
  private holds(instanceId: string): boolean {
    return this.live.has(instanceId) || this.starting.has(instanceId);
  }

  /**
   * Runs the unfinished instances read from the store: their next episode, or the work their
   * committed history waits for. `adopting`: skip any this host took up meanwhile.
   */
  private async takeUp(
    records: Versioned<InstanceRecord>[],
    unfinished: ReadonlySet<string>,
    adopting: boolean,
  ): Promise<void> {
    for (const found of records) {
      if (adopting && this.holds(found.value.instanceId)) continue;
      // What the sweep read may have finished since (and left this host's memory): read it afresh.
      const fresh = adopting ? await this.deps.store.getInstance(found.value.instanceId) : found;
      if (fresh === undefined || isFinished(fresh.value)) continue;
      const { value: record, etag } = fresh;
      const history = record.instanceId.startsWith('@')
        ? []
        : await this.untilStored(() => this.deps.store.getHistory(record));
      if (adopting && this.holds(record.instanceId)) continue;
      const live = this.liveOf(record.instanceId);
      live.state = { record, etag, history };
      if (record.instanceId.startsWith('@')) continue;
      if (record.historyChunks === 0) {
        live.wake = true;
        this.schedule(live);
        continue;
      }
      const open = pendingWork(history);
      const work: NewWork[] = [
        ...open.activities.map((e): NewWork => ({
          kind: 'activity',
          id: e.EventId,
          name: e.Name ?? '',
          input: e.Input ?? null,
        })),
        ...open.timers.map((e): NewWork => ({ kind: 'timer', id: e.EventId, fireAt: new Date(e.FireAt ?? 0) })),
        ...(await this.childrenToStart(record, open.subOrchestrations, unfinished)).map((e): NewWork => ({
          kind: 'subOrchestration',
          id: e.EventId,
          name: e.Name ?? '',
          instanceId: e.InstanceId ?? '',
          input: e.Input ?? null,
          version: e.Version ?? '',
        })),
        // Entity messages may not have reached the entity before the crash; it runs each request id
        // once, and a release only ends the critical section it names.
        ...open.entityMessages.map((e): NewWork => {
          const request = JSON.parse(e.Input ?? '{}') as RequestMessage;
          return {
            kind: 'entityMessage',
            id: e.EventId,
            targetInstanceId: e.InstanceId ?? '',
            operation: e.Name ?? '',
            eventName: entityEventName(e.Input ?? '{}'),
            requestId: request.id,
            request: e.Input ?? '{}',
          };
        }),
      ];
      if (record.runtimeStatus !== 'Suspended' || work.length > 0) await this.dispatch(record, work);
    }
  }

  /**
   * Of the sub-orchestrations a recovered parent waits for, those to start (again). A child's
   * answer lives only in memory until the parent commits it, so a child that finished before the
   * crash is read by its id and its answer given again (the parent ignores one it already has);
   * finished instances are not part of what recovery loads.
   */
  private async childrenToStart(
    parent: InstanceRecord,
    open: HistoryEvent[],
    unfinished: ReadonlySet<string>,
  ): Promise<HistoryEvent[]> {
    const toStart: HistoryEvent[] = [];
    for (const created of open) {
      const childId = created.InstanceId ?? '';
      const child = unfinished.has(childId)
        ? undefined
        : await this.untilStored(() => this.deps.store.getInstance(childId));
      const link = child?.value.parent;
      const answered =
        child !== undefined &&
        isFinished(child.value) &&
        link?.OrchestrationInstance.InstanceId === parent.instanceId &&
        link.OrchestrationInstance.ExecutionId === parent.executionId &&
        link.TaskScheduleId === created.EventId;
      if (answered) this.notifyParent(child.value);
      else toStart.push(created);
    }
    return toStart;
  }

  // --- scheduling -----------------------------------------------------------------------------

  private liveOf(instanceId: string): LiveInstance {
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

  private async versioned(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    return this.inMemory(instanceId) ?? this.deps.store.getInstance(instanceId);
  }

  /** The committed state of an instance this host holds in memory, if it holds one. */
  private inMemory(instanceId: string): Versioned<InstanceRecord> | undefined {
    const state = this.live.get(instanceId)?.state;
    return state?.etag !== undefined ? { value: state.record, etag: state.etag } : undefined;
  }

  private deliver(instanceId: string, message: QueuedMessage): void {
    const live = this.liveOf(instanceId);
    // A message stored while recovery read the inbox arrives twice: from its sender and from recovery.
    if (message.storedId !== undefined && live.queue.some((queued) => queued.storedId === message.storedId)) return;
    live.queue.push(message);
    live.stalled = false;
    this.schedule(live);
  }

  private schedule(live: LiveInstance): void {
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
      !this.stopping &&
      !this.recovering &&
      this.activeEpisodes < this.deps.maxConcurrentOrchestrations &&
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
        if (this.activeEpisodes === 0 && this.ready.length === 0) this.deps.timers.quiet();
      });
    }
  }

  private async runEpisode(live: LiveInstance): Promise<void> {
    const batch = live.queue.splice(0);
    // What makes a new or continued-as-new execution run is `wake`, not a message: a failed
    // episode must give it back, or nothing would run the execution again.
    const woken = live.wake;
    live.wake = false;
    try {
      if (!live.state) {
        const found = await this.deps.store.getInstance(live.id);
        if (!found) {
          // Messages for an instance that does not exist (purged): drop them, rows included.
          if (batch.some((m) => m.storedId)) await this.deps.store.purgeInstance(live.id);
          return;
        }
        if (this.dropsLateMessages(live, found.value, batch)) return;
        live.state = { record: found.value, etag: found.etag, history: await this.deps.store.getHistory(found.value) };
      }
      const state = live.state;
      if (this.dropsLateMessages(live, state.record, batch)) {
        if (live.queue.length === 0) live.state = undefined;
        return;
      }
      if (live.id.startsWith('@')) {
        await this.runEntityBatch(live, state, batch);
        return;
      }
      const observer = this.deps.observer ?? noObserver;
      const episodeStarted = performance.now();
      const result = await this.deps.episodes.run({
        record: state.record,
        past: state.history,
        messages: batch.map((m) => m.event),
        now: this.deps.clock.now(),
      });
      observer.episode(state.record.name, performance.now() - episodeStarted);
      const consumedRows = result.consumed.map((i) => batch[i].storedId).filter((id): id is string => id !== undefined);
      // Messages an episode did not consume (the instance is suspended) wait for the next one.
      live.queue.unshift(...batch.filter((_, i) => !result.consumed.includes(i)));
      const record = result.record;
      const rowIndex = state.record.historyChunks;
      const sameExecution = result.historyExecutionId === record.executionId;
      if (result.newHistory.length > 0 && sameExecution) record.historyChunks = rowIndex + 1;
      if (result.newHistory.length === 0 && consumedRows.length === 0) {
        // Nothing to write: duplicates were dropped, or nothing could be consumed (suspended).
        live.stalled = result.consumed.length === 0 && live.queue.length > 0;
        return;
      }

      const commitStarted = performance.now();
      const committing = this.deps.store.commitEpisode({
        record,
        etag: state.etag,
        newHistory: result.newHistory,
        historyRow: { executionId: result.historyExecutionId, index: rowIndex },
        consumedMessageIds: consumedRows,
      });
      // Activities run at least once, so they start while their episode commits; what they answer
      // waits for the commit (an episode that fails to commit runs again and schedules them again).
      // Not for an instance's first commit: that one fails by design when the id is taken (a
      // retried sub-orchestration), and its activities would run twice every time.
      const early = state.etag !== undefined;
      const activities = early
        ? result.work.flatMap((item) => (item.kind === 'activity' ? [this.startActivity(record.instanceId, item)] : []))
        : [];
      const etag = await committing;
      observer.commit(performance.now() - commitStarted);
      live.state = { record, etag, history: sameExecution ? [...state.history, ...result.newHistory] : [] };
      if (!sameExecution) {
        live.wake = true;
        void this.deps.store.dropOldExecutions(record).catch(() => undefined);
      }
      for (const answer of activities) void answer.then((event) => this.deliver(record.instanceId, { event }));
      await this.dispatch(record, early ? result.work.filter((item) => item.kind !== 'activity') : result.work);
      if (isFinished(record)) {
        if (record.parent) this.notifyParent(record);
        if (live.queue.length === 0) live.state = undefined;
      }
      live.failures = 0;
    } catch (error) {
      const unsaved = live.state?.etag === undefined ? live.state : undefined;
      const unsavedChild = unsaved?.record.parent && unsaved.record.historyChunks === 0 ? unsaved.record : undefined;
      live.queue.unshift(...batch);
      if (woken) live.wake = true;
      live.state = undefined;
      if (error instanceof StoreConflictError && unsavedChild) {
        // A sub-orchestration id that exists already (a retried child reuses its id): start it
        // the careful way, which reads what is there first.
        try {
          await this.untilStored(() => this.startChildCarefully(unsavedChild));
        } catch (failure) {
          // Not started and not known to exist: the child's first episode tries again, which leads here again.
          live.state = unsaved;
          this.retryLater(live, failure);
        }
        return;
      }
      if (error instanceof StoreConflictError) {
        this.deps.logger.warn(`Instance ${live.id} changed in storage while it ran; reloading it. (${error.message})`);
        return;
      }
      // A child not written yet exists only here (its parent's history names it): the retry needs it.
      if (unsavedChild) live.state = unsaved;
      this.retryLater(live, error);
    }
  }

  /**
   * Runs the instance again after a failed episode, from what it last committed, once a backoff
   * has passed (longer with each failure in a row), the way the Azure Storage provider abandons a
   * work item and sees it again: an episode is never dropped, however long storage is away.
   */
  private retryLater(live: LiveInstance, error: unknown): void {
    live.failures++;
    const delay = storeBackoffMs(live.failures);
    if (isStorageFailure(error)) this.deps.store.outage.failed(error);
    else
      this.deps.logger.error(
        `Episode of ${live.id} failed and will be retried in ${delay} ms: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    this.retrying++;
    live.retryTimer = setTimeout(() => {
      live.retryTimer = undefined;
      this.retrying--;
      this.schedule(live);
    }, delay);
  }

  /**
   * Work that follows a commit (a message to another instance, a child to start) and must not be
   * lost with the episode already durable: tried until storage takes it.
   */
  private untilStored<T>(work: () => Promise<T>): Promise<T> {
    return retryWhileStorageFails(work, { outage: this.deps.store.outage, stopped: () => this.stopping });
  }

  /**
   * Late answers and timer firings for a finished instance (e.g. the cancelled deadline timers of
   * a race, firing long after the orchestration completed) are discarded, as the extension
   * discards messages for completed instances: no history is loaded, no episode runs, nothing is
   * committed. Messages with a durable inbox row still go through an episode, which deletes it.
   */
  private dropsLateMessages(live: LiveInstance, record: InstanceRecord, batch: QueuedMessage[]): boolean {
    return !live.wake && isFinished(record) && batch.every((m) => m.storedId === undefined);
  }

  private async runEntityBatch(
    live: LiveInstance,
    state: NonNullable<LiveInstance['state']>,
    batch: QueuedMessage[],
  ): Promise<void> {
    if (batch.length === 0) return;
    const result = await this.deps.entities.run(
      state.record,
      batch.map((m) => m.event),
      this.deps.clock.now(),
    );
    const consumedRows = result.consumed.map((i) => batch[i].storedId).filter((id): id is string => id !== undefined);
    // An entity that a message goes to exists before the message can wait in its inbox.
    for (const message of result.outgoing)
      if (message.instanceId.startsWith('@')) await this.untilStored(() => this.ensureEntity(message.instanceId));
    // What the batch sends is stored by its own commit: a request the entity ran is never run
    // again (its id is remembered), so an answer lost after the commit would be lost for good.
    const etag = await this.deps.store.commitEpisode({
      record: result.record,
      etag: state.etag,
      newHistory: [],
      historyRow: { executionId: result.record.executionId, index: 0 },
      consumedMessageIds: consumedRows,
      sentMessages: result.outgoing.map((m) => ({ id: m.messageId, instanceId: m.instanceId, event: m.event })),
    });
    live.state = { record: result.record, etag, history: [] };
    for (const message of result.outgoing)
      this.deliver(message.instanceId, { event: message.event, storedId: message.messageId });
  }

  /** Sends what a committed episode or entity batch sent, each message tried until it is stored. */
  private async sendAll(messages: OutgoingMessage[]): Promise<void> {
    for (const message of messages) {
      if (message.instanceId.startsWith('@')) await this.untilStored(() => this.ensureEntity(message.instanceId));
      await this.untilStored(() => this.sendMessage(message.instanceId, message.event, message.messageId));
    }
  }

  /** An entity comes into being with its first operation: its instance row is made on demand. */
  async ensureEntity(instanceId: string): Promise<void> {
    if (await this.versioned(instanceId)) return;
    const now = this.deps.clock.now();
    const { name } = entityIdOf(instanceId);
    const record: InstanceRecord = {
      instanceId,
      name,
      version: '',
      executionId: randomUUID().replace(/-/g, ''),
      runtimeStatus: 'Running',
      createdTime: now,
      lastUpdatedTime: now,
      completedTime: null,
      input: null,
      output: null,
      customStatus: null,
      parent: null,
      generation: 0,
      historyChunks: 0,
    };
    try {
      const etag = await this.deps.store.putInstance(record, undefined);
      const live = this.liveOf(instanceId);
      live.state ??= { record, etag, history: [] };
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }

  /** Sends an operation to an entity from a client (signalEntity). */
  async signalEntity(instanceId: string, operation: string, input: string | null): Promise<void> {
    await this.ensureEntity(instanceId);
    const request: RequestMessage = {
      op: operation,
      id: randomUUID(),
      signal: true,
      ...(input !== null ? { input } : {}),
    };
    await this.sendMessage(instanceId, operationRequest(request, this.deps.clock.now()), request.id);
  }

  // --- acting on a committed episode ----------------------------------------------------------

  private async dispatch(record: InstanceRecord, work: NewWork[]): Promise<void> {
    for (const item of work) {
      switch (item.kind) {
        case 'activity':
          void this.startActivity(record.instanceId, item).then((event) => this.deliver(record.instanceId, { event }));
          break;
        case 'timer': {
          const fireAt = item.fireAt;
          this.deps.timers.arm(fireAt, () =>
            this.deliver(record.instanceId, {
              event: historyEvents.timerFired(this.deps.clock.now(), item.id, dotNetTime(fireAt)),
            }),
          );
          break;
        }
        case 'subOrchestration':
          await this.untilStored(() => this.startChild(record, item));
          break;
        case 'entityMessage':
          await this.sendAll([
            {
              instanceId: item.targetInstanceId,
              // A release shares its lock request's id; its inbox row must not.
              messageId: item.eventName === RELEASE_EVENT ? `${item.requestId}:release` : item.requestId,
              event: historyEvents.eventRaised(this.deps.clock.now(), item.eventName, item.request),
            },
          ]);
          break;
      }
    }
  }

  private startActivity(instanceId: string, item: Extract<NewWork, { kind: 'activity' }>): Promise<HistoryEvent> {
    return this.deps.activities.run({ instanceId, id: item.id, name: item.name, input: item.input });
  }

  private async startChild(
    parent: InstanceRecord,
    work: Extract<NewWork, { kind: 'subOrchestration' }>,
  ): Promise<void> {
    const link: ParentInstance = {
      Name: parent.name,
      Version: parent.version,
      TaskScheduleId: work.id,
      OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
    };
    const fail = (reason: string): Promise<void> =>
      this.sendMessage(
        parent.instanceId,
        historyEvents.subOrchestrationFailed(
          this.deps.clock.now(),
          work.id,
          reason,
          `Message: ${reason}, StackTrace: `,
        ),
        `subfail-${parent.executionId}-${work.id}`,
      );
    if (
      work.instanceId === parent.instanceId ||
      work.instanceId === parent.parent?.OrchestrationInstance.InstanceId ||
      work.instanceId.startsWith('@')
    ) {
      return fail(
        `A sub-orchestration cannot use the instance id '${work.instanceId}' (its own, its parent's, or one starting with '@').`,
      );
    }
    // The parent's committed history (SubOrchestrationInstanceCreated) is the durable record of
    // the start, and recovery starts a child that is missing: so the child is written for the
    // first time by its first episode, and a child whose id is taken is started carefully then.
    const record = this.newRecord(
      { name: work.name, instanceId: work.instanceId, input: work.input, version: work.version, parent: link },
      0,
    );
    const live = this.liveOf(record.instanceId);
    if (live.state || live.running) {
      await this.startChildCarefully(record);
      return;
    }
    live.state = { record, etag: undefined, history: [] };
    live.wake = true;
    this.schedule(live);
  }

  /** Starts a sub-orchestration whose id may exist: the same start again is left alone, a finished one replaced. */
  private async startChildCarefully(child: InstanceRecord): Promise<void> {
    const link = child.parent;
    if (!link) throw new Error(`${child.instanceId} is not a sub-orchestration.`);
    const parentId = link.OrchestrationInstance.InstanceId;
    const existing = await this.deps.store.getInstance(child.instanceId);
    const sameLink =
      existing?.value.parent?.OrchestrationInstance.ExecutionId === link.OrchestrationInstance.ExecutionId &&
      existing.value.parent?.TaskScheduleId === link.TaskScheduleId;
    if (sameLink) {
      // Already started: its own episodes carry on. State read here could be older than what an
      // episode of the child commits meanwhile (recovery wakes children too), so it is not kept:
      // an instance without state in memory reads it from the store inside its next episode.
      const live = this.liveOf(child.instanceId);
      if (live.state?.etag === undefined) live.state = undefined;
      live.wake = true;
      this.schedule(live);
      return;
    }
    try {
      await this.startInstance({
        name: child.name,
        instanceId: child.instanceId,
        input: child.input,
        version: child.version,
        parent: link,
      });
    } catch (error) {
      if (!(error instanceof InstanceAlreadyExistsError)) throw error;
      const reason = `${error.message} (instance id '${child.instanceId}')`;
      this.deliver(parentId, {
        event: historyEvents.subOrchestrationFailed(
          this.deps.clock.now(),
          link.TaskScheduleId,
          reason,
          `Message: ${reason}, StackTrace: `,
        ),
      });
    }
  }

  /**
   * Tells the parent how its sub-orchestration ended. Like an activity's result it travels in
   * memory: the child's finished record is the durable fact, and recovery repeats the answer to
   * a parent that has not committed it (completions are deduplicated by task id).
   */
  private notifyParent(record: InstanceRecord): void {
    const parent = record.parent;
    if (!parent) return;
    const now = this.deps.clock.now();
    const scheduledId = parent.TaskScheduleId;
    const event =
      record.runtimeStatus === 'Completed'
        ? historyEvents.subOrchestrationCompleted(now, scheduledId, record.output)
        : historyEvents.subOrchestrationFailed(
            now,
            scheduledId,
            record.output ?? '',
            `Message: ${record.output ?? ''}, StackTrace: `,
          );
    this.deliver(parent.OrchestrationInstance.InstanceId, { event });
  }
}

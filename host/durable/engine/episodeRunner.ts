import type { HostLogger } from '../../logging/hostLogger';
import { StoreConflictError, type InstanceRecord, type TaskHubStore } from '../../store/taskHubStore';
import type { Clock } from './clock';
import type { EngineObserver } from './engineObserver';
import type { EntityBatches } from './entityBatches';
import type { Inboxes } from './inboxes';
import type { LiveInstance, LiveInstances, QueuedMessage } from './liveInstances';
import { isFinished, type OrchestrationEpisodes } from './orchestrationEpisode';
import type { UntilStored } from './untilStored';
import type { WorkDispatch } from './workDispatch';

/**
 * Late answers and timer firings for a finished instance (e.g. the cancelled deadline timers of
 * a race, firing long after the orchestration completed) are discarded, as the extension
 * discards messages for completed instances: no history is loaded, no episode runs, nothing is
 * committed. Messages with a durable inbox row still go through an episode, which deletes it.
 */
function dropsLateMessages(live: LiveInstance, record: InstanceRecord, batch: QueuedMessage[]): boolean {
  return !live.wake && isFinished(record) && batch.every((m) => m.storedId === undefined);
}

/**
 * One episode of a live instance, from the messages queued for it: run, committed to the store,
 * and only then acted on; a failed episode is given back to be tried again.
 */
export class EpisodeRunner {
  constructor(
    private readonly store: TaskHubStore,
    private readonly episodes: OrchestrationEpisodes,
    private readonly clock: Clock,
    private readonly logger: HostLogger,
    private readonly observer: EngineObserver,
    private readonly live: LiveInstances,
    private readonly workDispatch: WorkDispatch,
    private readonly inboxes: Inboxes,
    private readonly entityBatches: EntityBatches,
    private readonly untilStored: UntilStored,
  ) {}

  async run(live: LiveInstance): Promise<void> {
    const batch = live.queue.splice(0);
    // What makes a new or continued-as-new execution run is `wake`, not a message: a failed
    // episode must give it back, or nothing would run the execution again.
    const woken = live.wake;
    live.wake = false;
    try {
      if (!live.state) {
        const found = await this.store.getInstance(live.id);
        if (!found) {
          // Messages for an instance that does not exist (purged): drop them, rows included.
          if (batch.some((m) => m.storedId)) await this.store.purgeInstance(live.id);
          return;
        }
        if (dropsLateMessages(live, found.value, batch)) return;
        live.state = { record: found.value, etag: found.etag, history: await this.store.getHistory(found.value) };
      }
      const state = live.state;
      if (dropsLateMessages(live, state.record, batch)) {
        if (live.queue.length === 0) live.state = undefined;
        return;
      }
      if (live.id.startsWith('@')) {
        await this.entityBatches.run(live, state, batch);
        return;
      }
      const episodeStarted = performance.now();
      const result = await this.episodes.run({
        record: state.record,
        past: state.history,
        messages: batch.map((m) => m.event),
        now: this.clock.now(),
      });
      this.observer.episode(state.record.name, performance.now() - episodeStarted);
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

      const outgoing = this.workDispatch.entityMessages(result.work);
      const sentMessages = await this.inboxes.outboxRows(outgoing);
      const commitStarted = performance.now();
      const committing = this.store.commitEpisode({
        record,
        etag: state.etag,
        newHistory: result.newHistory,
        historyRow: { executionId: result.historyExecutionId, index: rowIndex },
        consumedMessageIds: consumedRows,
        sentMessages,
      });
      // Activities run at least once, so they start while their episode commits; what they answer
      // waits for the commit (an episode that fails to commit runs again and schedules them again).
      // Not for an instance's first commit: that one fails by design when the id is taken (a
      // retried sub-orchestration), and its activities would run twice every time.
      const early = state.etag !== undefined;
      const activities = early
        ? result.work.flatMap((item) =>
            item.kind === 'activity' ? [this.workDispatch.startActivity(record.instanceId, item)] : [],
          )
        : [];
      const etag = await committing;
      this.observer.commit(performance.now() - commitStarted);
      live.state = { record, etag, history: sameExecution ? [...state.history, ...result.newHistory] : [] };
      if (!sameExecution) {
        live.wake = true;
        void this.store.dropOldExecutions(record).catch(() => undefined);
      }
      for (const answer of activities) void answer.then((event) => this.live.deliver(record.instanceId, { event }));
      this.inboxes.deliverStored(outgoing);
      await this.workDispatch.dispatch(
        record,
        result.work.filter((item) => item.kind !== 'entityMessage' && !(early && item.kind === 'activity')),
      );
      if (isFinished(record)) {
        if (record.parent) this.workDispatch.notifyParent(record);
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
          await this.untilStored(() => this.workDispatch.startChildCarefully(unsavedChild));
        } catch (failure) {
          // Not started and not known to exist: the child's first episode tries again, which leads here again.
          live.state = unsaved;
          this.live.retryLater(live, failure);
        }
        return;
      }
      if (error instanceof StoreConflictError) {
        this.logger.warn(`Instance ${live.id} changed in storage while it ran; reloading it. (${error.message})`);
        return;
      }
      // A child not written yet exists only here (its parent's history names it): the retry needs it.
      if (unsavedChild) live.state = unsaved;
      this.live.retryLater(live, error);
    }
  }
}

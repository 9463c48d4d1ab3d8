import type { HostLogger } from '../../logging/hostLogger';
import type { InstanceQuery, InstanceRecord, TaskHubStore } from '../../store/taskHubStore';
import type { HistoryEvent } from '../history/historyEvent';
import type { ActivityRunner } from './activityRunner';
import type { Clock } from './clock';
import { noObserver, type EngineObserver } from './engineObserver';
import { EntityBatches } from './entityBatches';
import type { EntityEpisodes } from './entityEpisode';
import { EpisodeRunner } from './episodeRunner';
import { Inboxes } from './inboxes';
import { InstanceStarts, type StartRequest } from './instanceStarts';
import { LiveInstances } from './liveInstances';
import type { OrchestrationEpisodes } from './orchestrationEpisode';
import { Recovery } from './recovery';
import { Rewind } from './rewind';
import type { TimerScheduler } from './timerScheduler';
import { untilStored } from './untilStored';
import { WorkDispatch } from './workDispatch';

export { InstanceAlreadyExistsError, type StartRequest } from './instanceStarts';

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

/**
 * Runs orchestrations: one episode at a time per instance, a bounded number at once. Every
 * episode is committed to the store before its work starts; the work then runs from memory, and
 * what a crash interrupts is found again in the store by `recover()`.
 *
 * The parts: `LiveInstances` holds the instances in memory and schedules their episodes;
 * `EpisodeRunner` runs an episode and commits it, `EntityBatches` an entity's; `WorkDispatch`
 * acts on what an episode committed (activities, timers, children, messages to entities);
 * `Inboxes` store a message in its instance's inbox and deliver it (an entity's row is made
 * before its first); `InstanceStarts` start instances; `Recovery` takes up what a previous run
 * left unfinished, and the orphans it finds later; `Rewind` rewinds a failed instance.
 */
export class DurableEngine {
  private readonly live: LiveInstances;
  private readonly starts: InstanceStarts;
  private readonly inboxes: Inboxes;
  private readonly entityBatches: EntityBatches;
  private readonly runner: EpisodeRunner;
  private readonly recovery: Recovery;
  private readonly rewinding: Rewind;

  constructor(private readonly deps: EngineDependencies) {
    const { store, clock, logger, timers } = deps;
    this.live = new LiveInstances(store, timers, logger, deps.maxConcurrentOrchestrations, (live) =>
      this.runner.run(live),
    );
    const stored = untilStored(store.outage, () => this.live.stopping);
    this.starts = new InstanceStarts(store, clock, this.live);
    this.inboxes = new Inboxes(store, clock, this.live, stored);
    const work = new WorkDispatch(store, deps.activities, timers, clock, this.live, this.starts, this.inboxes, stored);
    this.entityBatches = new EntityBatches(store, deps.entities, clock, this.inboxes);
    this.runner = new EpisodeRunner(
      store,
      deps.episodes,
      clock,
      logger,
      deps.observer ?? noObserver,
      this.live,
      work,
      this.inboxes,
      this.entityBatches,
      stored,
    );
    this.recovery = new Recovery(store, logger, this.live, this.starts, work, stored);
    this.rewinding = new Rewind(store, clock, this.live, this.inboxes);
  }

  getRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.live.getRecord(instanceId);
  }

  getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    return this.live.getHistory(record);
  }

  startInstance(request: StartRequest): Promise<InstanceRecord> {
    return this.starts.start(request);
  }

  sendMessage(instanceId: string, event: HistoryEvent, messageId?: string): Promise<void> {
    return this.inboxes.send(instanceId, event, messageId);
  }

  queryInstances(query: InstanceQuery): ReturnType<TaskHubStore['queryInstances']> {
    return this.deps.store.queryInstances(query);
  }

  async purge(instanceId: string): Promise<boolean> {
    const deleted = await this.deps.store.purgeInstance(instanceId);
    this.live.forget(instanceId);
    return deleted;
  }

  rewind(instanceId: string, reason: string | null): Promise<void> {
    return this.rewinding.rewind(instanceId, reason);
  }

  ensureEntity(instanceId: string): Promise<void> {
    return this.inboxes.ensureEntity(instanceId);
  }

  signalEntity(instanceId: string, operation: string, input: string | null): Promise<void> {
    return this.entityBatches.signal(instanceId, operation, input);
  }

  /** No episode runs or waits and no activity is in flight: only timers or outside events can move anything. */
  isIdle(): boolean {
    return this.live.isIdle() && this.deps.activities.inFlight === 0;
  }

  get queuedEpisodes(): number {
    return this.live.queued;
  }

  async stop(graceMs = 5000): Promise<void> {
    this.live.stop();
    this.recovery.stop();
    this.deps.timers.stop();
    await this.live.drained(graceMs);
  }

  recover(): Promise<{ instances: number; messages: number }> {
    return this.recovery.recover();
  }
}

import type { InstanceRecord, TaskHubStore } from '../../store/taskHubStore';
import { dotNetTime, historyEvents, type HistoryEvent, type ParentInstance } from '../history/historyEvent';
import type { NewWork } from './actionReplay';
import type { ActivityRunner } from './activityRunner';
import type { Clock } from './clock';
import type { OutgoingMessage } from './entityEpisode';
import { RELEASE_EVENT } from './entityMessages';
import type { Inboxes } from './inboxes';
import { InstanceAlreadyExistsError, type InstanceStarts } from './instanceStarts';
import type { LiveInstances } from './liveInstances';
import type { TimerScheduler } from './timerScheduler';
import type { UntilStored } from './untilStored';

/** An orchestration's message to an entity (a call, signal, lock request or release) as its inbox row. */
function entityMessageOf(item: Extract<NewWork, { kind: 'entityMessage' }>, now: Date): OutgoingMessage {
  return {
    instanceId: item.targetInstanceId,
    // A release shares its lock request's id; its inbox row must not.
    messageId: item.eventName === RELEASE_EVENT ? `${item.requestId}:release` : item.requestId,
    event: historyEvents.eventRaised(now, item.eventName, item.request),
  };
}

/**
 * Acting on a committed episode: its activities run, its timers are armed, its children start,
 * its messages to entities are sent; a finished child answers its parent.
 */
export class WorkDispatch {
  constructor(
    private readonly store: TaskHubStore,
    private readonly activities: ActivityRunner,
    private readonly timers: TimerScheduler,
    private readonly clock: Clock,
    private readonly live: LiveInstances,
    private readonly starts: InstanceStarts,
    private readonly inboxes: Inboxes,
    private readonly untilStored: UntilStored,
  ) {}

  async dispatch(record: InstanceRecord, work: NewWork[]): Promise<void> {
    for (const item of work) {
      switch (item.kind) {
        case 'activity':
          void this.startActivity(record.instanceId, item).then((event) =>
            this.live.deliver(record.instanceId, { event }),
          );
          break;
        case 'timer': {
          const fireAt = item.fireAt;
          this.timers.arm(fireAt, () =>
            this.live.deliver(record.instanceId, {
              event: historyEvents.timerFired(this.clock.now(), item.id, dotNetTime(fireAt)),
            }),
          );
          break;
        }
        case 'subOrchestration':
          await this.untilStored(() => this.startChild(record, item));
          break;
        case 'entityMessage':
          await this.inboxes.sendAll([entityMessageOf(item, this.clock.now())]);
          break;
      }
    }
  }

  /**
   * An episode's messages to entities, which its commit stores (see `Inboxes.outboxRows`): a
   * finished orchestration is not recovered after a crash, so a release or signal sent after its
   * last commit would be lost with the process.
   */
  entityMessages(work: NewWork[]): OutgoingMessage[] {
    const now = this.clock.now();
    return work.flatMap((item) => (item.kind === 'entityMessage' ? [entityMessageOf(item, now)] : []));
  }

  startActivity(instanceId: string, item: Extract<NewWork, { kind: 'activity' }>): Promise<HistoryEvent> {
    return this.activities.run({ instanceId, id: item.id, name: item.name, input: item.input });
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
      this.inboxes.send(
        parent.instanceId,
        historyEvents.subOrchestrationFailed(this.clock.now(), work.id, reason, `Message: ${reason}, StackTrace: `),
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
    const record = this.starts.newRecord(
      { name: work.name, instanceId: work.instanceId, input: work.input, version: work.version, parent: link },
      0,
    );
    const live = this.live.of(record.instanceId);
    if (live.state || live.running) {
      await this.startChildCarefully(record);
      return;
    }
    live.state = { record, etag: undefined, history: [] };
    live.wake = true;
    this.live.schedule(live);
  }

  /** Starts a sub-orchestration whose id may exist: the same start again is left alone, a finished one replaced. */
  async startChildCarefully(child: InstanceRecord): Promise<void> {
    const link = child.parent;
    if (!link) throw new Error(`${child.instanceId} is not a sub-orchestration.`);
    const parentId = link.OrchestrationInstance.InstanceId;
    const existing = await this.store.getInstance(child.instanceId);
    const sameLink =
      existing?.value.parent?.OrchestrationInstance.ExecutionId === link.OrchestrationInstance.ExecutionId &&
      existing.value.parent?.TaskScheduleId === link.TaskScheduleId;
    if (sameLink) {
      // Already started: its own episodes carry on. State read here could be older than what an
      // episode of the child commits meanwhile (recovery wakes children too), so it is not kept:
      // an instance without state in memory reads it from the store inside its next episode.
      const live = this.live.of(child.instanceId);
      if (live.state?.etag === undefined) live.state = undefined;
      live.wake = true;
      this.live.schedule(live);
      return;
    }
    try {
      await this.starts.start({
        name: child.name,
        instanceId: child.instanceId,
        input: child.input,
        version: child.version,
        parent: link,
      });
    } catch (error) {
      if (!(error instanceof InstanceAlreadyExistsError)) throw error;
      const reason = `${error.message} (instance id '${child.instanceId}')`;
      this.live.deliver(parentId, {
        event: historyEvents.subOrchestrationFailed(
          this.clock.now(),
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
  notifyParent(record: InstanceRecord): void {
    const parent = record.parent;
    if (!parent) return;
    const now = this.clock.now();
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
    this.live.deliver(parent.OrchestrationInstance.InstanceId, { event });
  }
}

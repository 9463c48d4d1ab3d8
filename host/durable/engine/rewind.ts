import type { InstanceRecord, TaskHubStore } from '../../store/taskHubStore';
import { EventType, historyEvents, OrchestrationStatus, type HistoryEvent } from '../history/historyEvent';
import type { Clock } from './clock';
import type { Inboxes } from './inboxes';
import type { LiveInstances } from './liveInstances';

export class Rewind {
  constructor(
    private readonly store: TaskHubStore,
    private readonly clock: Clock,
    private readonly live: LiveInstances,
    private readonly inboxes: Inboxes,
  ) {}

  /**
   * Rewinds a Failed instance the way the Azure Storage provider does: the failure events of the
   * current execution (and the scheduling events of failed activities) become GenericEvents, so a
   * replay schedules the failed tasks again; failed sub-orchestrations are rewound the same way;
   * the deepest failed instances get a message that wakes them.
   */
  async rewind(instanceId: string, reason: string | null): Promise<void> {
    const found = await this.live.versioned(instanceId);
    if (found?.value.runtimeStatus !== 'Failed') return;
    const record = found.value;
    const history = await this.live.getHistory(record);
    const now = this.clock.now();
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
    const etag = await this.store.replaceHistory(revived, found.etag, rewritten);
    const live = this.live.of(instanceId);
    live.state = { record: { ...revived, historyChunks: 1 }, etag, history: rewritten };
    let childRewound = false;
    for (const child of failedChildren) {
      const childRecord = await this.live.getRecord(child);
      if (childRecord?.runtimeStatus === 'Failed') {
        await this.rewind(child, reason);
        childRewound = true;
      }
    }
    if (!childRewound) await this.inboxes.send(instanceId, historyEvents.genericEvent(now, reason));
  }
}

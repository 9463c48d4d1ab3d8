import { entityEventName, RELEASE_EVENT } from '../engine/entityMessages';
import { completedTaskId, EventType, type HistoryEvent } from './historyEvent';

export interface PendingWork {
  activities: HistoryEvent[];
  timers: HistoryEvent[];
  subOrchestrations: HistoryEvent[];
  /** Entity messages (EventSent): signals, lock releases, and calls and lock requests not answered yet. */
  entityMessages: HistoryEvent[];
}

/**
 * Work a committed history promises but has not answered: scheduled activities, timers and
 * sub-orchestrations without a completion. A restart re-runs exactly this (at-least-once).
 */
export function pendingWork(history: HistoryEvent[]): PendingWork {
  const answered = new Set<number>();
  for (const e of history) {
    const id = completedTaskId(e);
    if (id !== undefined) answered.add(id);
  }
  const open = (type: EventType): HistoryEvent[] =>
    history.filter((e) => e.EventType === type && !answered.has(e.EventId));
  const responses = new Set(history.filter((e) => e.EventType === EventType.EventRaised).map((e) => e.Name));
  return {
    activities: open(EventType.TaskScheduled),
    timers: open(EventType.TimerCreated),
    subOrchestrations: open(EventType.SubOrchestrationInstanceCreated),
    entityMessages: history.filter((e) => {
      if (e.EventType !== EventType.EventSent) return false;
      const request = JSON.parse(e.Input ?? '{}') as { id?: string; signal?: boolean };
      // Nothing answers a signal or a release: whether it arrived is unknown, so it goes again.
      return (
        request.signal === true || entityEventName(e.Input ?? '{}') === RELEASE_EVENT || !responses.has(request.id)
      );
    }),
  };
}

/** Ids of tasks scheduled in this history, and the ones already answered. */
export function taskIds(history: HistoryEvent[]): { scheduled: Set<number>; answered: Set<number> } {
  const scheduled = new Set<number>();
  const answered = new Set<number>();
  for (const e of history) {
    if (
      e.EventType === EventType.TaskScheduled ||
      e.EventType === EventType.TimerCreated ||
      e.EventType === EventType.SubOrchestrationInstanceCreated
    ) {
      scheduled.add(e.EventId);
    }
    const id = completedTaskId(e);
    if (id !== undefined) answered.add(id);
  }
  return { scheduled, answered };
}

import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../../host/durable/engine/clock';
import { LiveInstances, type LiveInstance } from '../../../../host/durable/engine/liveInstances';
import { TimerScheduler } from '../../../../host/durable/engine/timerScheduler';
import { historyEvents } from '../../../../host/durable/history/historyEvent';
import type { HostLogger } from '../../../../host/logging/hostLogger';
import type { TaskHubStore } from '../../../../host/store/taskHubStore';

// The scheduling of episodes in memory: one episode at a time per instance, a bounded number at once.
const silent: HostLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};
// Nothing here reaches the store: the episodes are the test's own.
const noStore = {} as TaskHubStore;
const message = { event: historyEvents.eventRaised(new Date(), 'go', null) };

describe('an instance purged while its next episode waits for a free slot', () => {
  it('runs as one object with what arrives after the purge, never as two episodes of one id', async () => {
    const ran: LiveInstance[] = [];
    let freeSlot: () => void = () => undefined;
    const live = new LiveInstances(noStore, new TimerScheduler(systemClock), silent, 1, async (instance) => {
      ran.push(instance);
      instance.queue.splice(0);
      if (instance.id === 'busy') await new Promise<void>((resolve) => (freeSlot = resolve));
    });
    live.deliver('busy', message);
    live.deliver('purged', message);
    expect(live.queued).toBe(1);
    live.forget('purged');
    // A new start of the same id, while the old one still waits in the ready queue.
    live.deliver('purged', message);
    freeSlot();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const purged = ran.filter((instance) => instance.id === 'purged');
    expect(new Set(purged).size).toBe(1);
    expect(live.queued).toBe(0);
  });
});

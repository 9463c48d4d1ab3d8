import type { HostLogger } from '../../logging/hostLogger';
import { isStorageFailure } from '../../store/storeOutage';
import type { InstanceRecord, TaskHubStore, Versioned } from '../../store/taskHubStore';
import type { HistoryEvent } from '../history/historyEvent';
import { pendingWork } from '../history/pendingWork';
import type { NewWork } from './actionReplay';
import { entityEventName, type RequestMessage } from './entityMessages';
import type { InstanceStarts } from './instanceStarts';
import type { LiveInstances } from './liveInstances';
import { isFinished } from './orchestrationEpisode';
import type { UntilStored } from './untilStored';
import type { WorkDispatch } from './workDispatch';

/** How often the host looks for unfinished instances it does not hold (see adoptOrphans). */
const ORPHAN_SWEEP_MS = 10_000;

/**
 * What a previous run left unfinished, found in the store and finished: at start (`recover`), and
 * then by a sweep every ORPHAN_SWEEP_MS for unfinished instances this host does not hold.
 */
export class Recovery {
  private orphanSweep: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly store: TaskHubStore,
    private readonly logger: HostLogger,
    private readonly live: LiveInstances,
    private readonly starts: InstanceStarts,
    private readonly workDispatch: WorkDispatch,
    private readonly untilStored: UntilStored,
  ) {}

  /** Finds what a previous run left unfinished and finishes it: episodes, activities, timers, children. */
  recover(): Promise<{ instances: number; messages: number }> {
    return this.live.whileRecovering(() => this.recoverFromStore());
  }

  stop(): void {
    clearInterval(this.orphanSweep);
  }

  private async recoverFromStore(): Promise<{ instances: number; messages: number }> {
    // A storage failure while a start reads the store is waited out, not a reason to stop the host.
    const { records, messages } = await this.untilStored(() => this.store.findUnfinished());
    await this.takeUp(records, new Set(records.map((r) => r.value.instanceId)), false);
    for (const message of messages)
      this.live.deliver(message.instanceId, { event: message.event, storedId: message.id });
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
    if (this.sweeping || this.live.stopping || this.live.recovering) return;
    this.sweeping = true;
    try {
      const { records, messages } = await this.store.findUnfinished();
      const orphans = records.filter((r) => !this.holds(r.value.instanceId));
      if (orphans.length === 0) return;
      const ids = new Set(orphans.map((r) => r.value.instanceId));
      this.logger.warn(
        `Taking up ${ids.size} unfinished instance(s) the store holds and this host did not: ${[...ids].slice(0, 5).join(', ')}${ids.size > 5 ? ', …' : ''}`,
      );
      await this.takeUp(orphans, new Set(records.map((r) => r.value.instanceId)), true);
      for (const message of messages)
        if (ids.has(message.instanceId))
          this.live.deliver(message.instanceId, { event: message.event, storedId: message.id });
    } catch (error) {
      // Storage failing: the outage is reported by the store, and the next sweep tries again.
      // Anything else is a fault of this host's, and the next sweep would meet it again.
      if (!isStorageFailure(error))
        this.logger.error(
          `The sweep for unfinished instances failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
    } finally {
      this.sweeping = false;
    }
  }

  /** This host runs the instance or is starting it (its first write may not be stored yet). */
  private holds(instanceId: string): boolean {
    return this.live.has(instanceId) || this.starts.isStarting(instanceId);
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
      const fresh = adopting ? await this.store.getInstance(found.value.instanceId) : found;
      if (fresh === undefined || isFinished(fresh.value)) continue;
      const { value: record, etag } = fresh;
      const history = record.instanceId.startsWith('@')
        ? []
        : await this.untilStored(() => this.store.getHistory(record));
      if (adopting && this.holds(record.instanceId)) continue;
      const live = this.live.of(record.instanceId);
      live.state = { record, etag, history };
      if (record.instanceId.startsWith('@')) continue;
      if (record.historyChunks === 0) {
        live.wake = true;
        this.live.schedule(live);
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
      if (record.runtimeStatus !== 'Suspended' || work.length > 0) await this.workDispatch.dispatch(record, work);
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
      const child = unfinished.has(childId) ? undefined : await this.untilStored(() => this.store.getInstance(childId));
      const link = child?.value.parent;
      const answered =
        child !== undefined &&
        isFinished(child.value) &&
        link?.OrchestrationInstance.InstanceId === parent.instanceId &&
        link.OrchestrationInstance.ExecutionId === parent.executionId &&
        link.TaskScheduleId === created.EventId;
      if (answered) this.workDispatch.notifyParent(child.value);
      else toStart.push(created);
    }
    return toStart;
  }
}

import { randomUUID } from 'node:crypto';
import type { TaskHubStore } from '../../store/taskHubStore';
import type { Clock } from './clock';
import { operationRequest, type EntityEpisodes } from './entityEpisode';
import type { RequestMessage } from './entityMessages';
import type { Inboxes } from './inboxes';
import type { LiveInstance, QueuedMessage } from './liveInstances';

/** An entity's episode: a batch of its queued operations run and committed with what they send. */
export class EntityBatches {
  constructor(
    private readonly store: TaskHubStore,
    private readonly entities: EntityEpisodes,
    private readonly clock: Clock,
    private readonly inboxes: Inboxes,
  ) {}

  async run(live: LiveInstance, state: NonNullable<LiveInstance['state']>, batch: QueuedMessage[]): Promise<void> {
    if (batch.length === 0) return;
    const result = await this.entities.run(
      state.record,
      batch.map((m) => m.event),
      this.clock.now(),
    );
    const consumedRows = result.consumed.map((i) => batch[i].storedId).filter((id): id is string => id !== undefined);
    const sentMessages = await this.inboxes.outboxRows(result.outgoing);
    // What the batch sends is stored by its own commit: a request the entity ran is never run
    // again (its id is remembered), so an answer lost after the commit would be lost for good.
    const etag = await this.store.commitEpisode({
      record: result.record,
      etag: state.etag,
      newHistory: [],
      historyRow: { executionId: result.record.executionId, index: 0 },
      consumedMessageIds: consumedRows,
      sentMessages,
    });
    live.state = { record: result.record, etag, history: [] };
    this.inboxes.deliverStored(result.outgoing);
  }

  /** Sends an operation to an entity from a client (signalEntity). */
  async signal(instanceId: string, operation: string, input: string | null): Promise<void> {
    await this.inboxes.ensureEntity(instanceId);
    const request: RequestMessage = {
      op: operation,
      id: randomUUID(),
      signal: true,
      ...(input !== null ? { input } : {}),
    };
    await this.inboxes.send(instanceId, operationRequest(request, this.clock.now()), request.id);
  }
}

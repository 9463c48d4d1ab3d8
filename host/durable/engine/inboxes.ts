import { randomUUID } from 'node:crypto';
import {
  StoreConflictError,
  type InstanceRecord,
  type StoredMessage,
  type TaskHubStore,
} from '../../store/taskHubStore';
import type { HistoryEvent } from '../history/historyEvent';
import type { Clock } from './clock';
import { entityIdOf, type OutgoingMessage } from './entityEpisode';
import type { LiveInstances } from './liveInstances';
import type { UntilStored } from './untilStored';

let messageCounter = 0;

/** Inbox row ids sort by arrival, so a restart delivers messages in the order they came. */
function newMessageId(now: Date): string {
  messageCounter = (messageCounter + 1) % 1_000_000;
  return `${now.getTime().toString(36).padStart(9, '0')}-${String(messageCounter).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
}

export class Inboxes {
  constructor(
    private readonly store: TaskHubStore,
    private readonly clock: Clock,
    private readonly live: LiveInstances,
    private readonly untilStored: UntilStored,
  ) {}

  /** Appends a message (event, terminate, suspend, resume) to the instance's durable inbox, then runs it. */
  async send(instanceId: string, event: HistoryEvent, messageId = newMessageId(this.clock.now())): Promise<void> {
    await this.store.addMessage({ id: messageId, instanceId, event });
    this.live.deliver(instanceId, { event, storedId: messageId });
  }

  /** Sends what a committed episode or entity batch sent, each message tried until it is stored. */
  async sendAll(messages: OutgoingMessage[]): Promise<void> {
    for (const message of messages) {
      if (message.instanceId.startsWith('@')) await this.untilStored(() => this.ensureEntity(message.instanceId));
      await this.untilStored(() => this.send(message.instanceId, message.event, message.messageId));
    }
  }

  /**
   * What an episode sends, as the inbox rows its own commit stores (an outbox), with each entity
   * it goes to made first: an entity's inbox row needs the entity.
   */
  async outboxRows(outgoing: OutgoingMessage[]): Promise<StoredMessage[]> {
    for (const message of outgoing)
      if (message.instanceId.startsWith('@')) await this.untilStored(() => this.ensureEntity(message.instanceId));
    return outgoing.map((m) => ({ id: m.messageId, instanceId: m.instanceId, event: m.event }));
  }

  /** Runs what a commit stored in other instances' inboxes. */
  deliverStored(outgoing: OutgoingMessage[]): void {
    for (const message of outgoing)
      this.live.deliver(message.instanceId, { event: message.event, storedId: message.messageId });
  }

  /** An entity comes into being with its first operation: its instance row is made on demand. */
  async ensureEntity(instanceId: string): Promise<void> {
    if (await this.live.versioned(instanceId)) return;
    const now = this.clock.now();
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
      const etag = await this.store.putInstance(record, undefined);
      const live = this.live.of(instanceId);
      live.state ??= { record, etag, history: [] };
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
}

import { QueueServiceClient, RestError } from '@azure/storage-queue';

export interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  /** The message text as stored (base64 when the sender encoded it, as the extension does). */
  messageText: string;
  dequeueCount: number;
  insertedOn: Date;
  expiresOn: Date;
  nextVisibleOn: Date;
}

/** Azure Storage queue calls (the protocol side of queue triggers and outputs). */
export class Queues {
  private readonly clients = new Map<string, QueueServiceClient>();
  private readonly created = new Set<string>();

  private service(connectionString: string): QueueServiceClient {
    let client = this.clients.get(connectionString);
    if (!client) {
      client = QueueServiceClient.fromConnectionString(connectionString);
      this.clients.set(connectionString, client);
    }
    return client;
  }

  /** Up to `count` visible messages, hidden for `visibilitySeconds`; none when the queue does not exist yet. */
  async receive(
    connectionString: string,
    queue: string,
    count: number,
    visibilitySeconds: number,
  ): Promise<ReceivedMessage[]> {
    try {
      const response = await this.service(connectionString)
        .getQueueClient(queue)
        .receiveMessages({ numberOfMessages: count, visibilityTimeout: visibilitySeconds });
      return response.receivedMessageItems.map((m) => ({
        messageId: m.messageId,
        popReceipt: m.popReceipt,
        messageText: m.messageText,
        dequeueCount: m.dequeueCount,
        insertedOn: m.insertedOn,
        expiresOn: m.expiresOn,
        nextVisibleOn: m.nextVisibleOn,
      }));
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
  }

  /** Adds a message (text as given), creating the queue on first use as the extension does. */
  async send(connectionString: string, queue: string, messageText: string): Promise<void> {
    const client = this.service(connectionString).getQueueClient(queue);
    const key = `${connectionString}\n${queue}`;
    if (!this.created.has(key)) {
      await client.createIfNotExists();
      this.created.add(key);
    }
    await client.sendMessage(messageText);
  }

  async delete(connectionString: string, queue: string, message: ReceivedMessage): Promise<void> {
    await this.service(connectionString).getQueueClient(queue).deleteMessage(message.messageId, message.popReceipt);
  }

  /** Makes a message visible again after `visibilitySeconds` (a failed attempt's retry delay). */
  async release(
    connectionString: string,
    queue: string,
    message: ReceivedMessage,
    visibilitySeconds: number,
  ): Promise<void> {
    await this.service(connectionString)
      .getQueueClient(queue)
      .updateMessage(message.messageId, message.popReceipt, undefined, visibilitySeconds);
  }
}

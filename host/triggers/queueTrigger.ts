import type { RegisteredFunction } from '../app/functionRegistry';
import type { RpcTypedData } from '../app/invokeFunction';
import { decodeQueueMessage } from '../bindings/queueMessageText';
import type { Queues, ReceivedMessage } from '../storageServices/queues';
import { retryWhileStorageFails } from '../store/storeBackoff';
import type { QueueOptions } from './queueOptions';
import { failureLine, type TriggerInvocations } from './triggerInvocations';

/** The extension keeps a message it is working on invisible for 10 minutes. */
const PROCESSING_VISIBILITY_SECONDS = 600;
const MIN_POLL_MS = 100;

/** The trigger metadata the queue extension sends with each message (camel-cased by the library). */
function metadataOf(message: ReceivedMessage, text: string): Record<string, RpcTypedData> {
  return {
    QueueTrigger: { string: text },
    DequeueCount: { json: String(message.dequeueCount) },
    Id: { string: message.messageId },
    PopReceipt: { string: message.popReceipt },
    InsertionTime: { string: message.insertedOn.toISOString() },
    ExpirationTime: { string: message.expiresOn.toISOString() },
    NextVisibleTime: { string: message.nextVisibleOn.toISOString() },
  };
}

/**
 * One queue-triggered function, run like the queue extension's listener: it fetches up to
 * `batchSize` messages, fetches more once no more than `newBatchThreshold` run, backs off up to
 * `maxPollingInterval` while the queue is empty, deletes a message when the function succeeds,
 * makes it visible again after `visibilityTimeout` when it fails, and moves it to
 * `<queue>-poison` after `maxDequeueCount` attempts.
 */
export class QueueListener {
  private stopped = false;
  private running = 0;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private failedPolls = 0;

  constructor(
    readonly fn: RegisteredFunction,
    readonly queueName: string,
    readonly connectionString: string,
    private readonly options: QueueOptions,
    private readonly queues: Queues,
    private readonly invocations: TriggerInvocations,
  ) {}

  start(): void {
    this.loop = this.poll();
  }

  /** A message was just added by this host: look at once instead of waiting out the back-off. */
  poke(): void {
    this.wake?.();
  }

  /** Stops fetching; messages being processed finish (the host waits for them). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async poll(): Promise<void> {
    let delay = MIN_POLL_MS;
    while (!this.stopped) {
      if (this.running > this.options.newBatchThreshold) {
        await this.sleep(delay);
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await this.queues.receive(
          this.connectionString,
          this.queueName,
          this.options.batchSize,
          PROCESSING_VISIBILITY_SECONDS,
        );
        this.failedPolls = 0;
      } catch (error) {
        if (this.failedPolls++ === 0)
          this.invocations.logger.warn(
            `Function '${this.fn.name}': queue '${this.queueName}' does not answer (${String(error)}).`,
          );
        messages = [];
      }
      if (this.stopped) {
        // Fetched while stopping: hand them back at once rather than hide them for 10 minutes.
        await Promise.all(
          messages.map((m) => this.queues.release(this.connectionString, this.queueName, m, 0).catch(() => undefined)),
        );
        return;
      }
      if (messages.length === 0) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.options.maxPollingIntervalMs);
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) void this.process(message);
    }
  }

  private async process(message: ReceivedMessage): Promise<void> {
    this.running++;
    try {
      await this.invocations.tracker.track(() => this.handle(message));
    } finally {
      this.running--;
      this.wake?.();
    }
  }

  private async handle(message: ReceivedMessage): Promise<void> {
    const { logger } = this.invocations;
    try {
      if (message.dequeueCount > this.options.maxDequeueCount) {
        await this.poison(message);
        return;
      }
      const text = decodeQueueMessage(message.messageText);
      let succeeded = true;
      try {
        await this.invocations.invoker.invoke({
          fn: this.fn,
          trigger: { string: text },
          triggerMetadata: metadataOf(message, text),
        });
      } catch (error) {
        succeeded = false;
        logger.error(failureLine(this.fn, error));
      }
      // Storage failing here is not the function failing: the bookkeeping is tried until it is
      // stored (a delete that never lands would run a function that succeeded again).
      if (succeeded) await this.bookkeeping(() => this.queues.delete(this.connectionString, this.queueName, message));
      else if (message.dequeueCount >= this.options.maxDequeueCount) await this.poison(message);
      else
        await this.bookkeeping(() =>
          this.queues.release(
            this.connectionString,
            this.queueName,
            message,
            Math.round(this.options.visibilityTimeoutMs / 1000),
          ),
        );
    } catch (error) {
      // A storage call failed for good (or the host stops): the message reappears after its
      // visibility timeout and is retried.
      logger.warn(`Function '${this.fn.name}': message ${message.messageId}: ${String(error)}`);
    }
  }

  private async poison(message: ReceivedMessage): Promise<void> {
    const poisonQueue = `${this.queueName}-poison`;
    this.invocations.logger.warn(
      `Function '${this.fn.name}': message ${message.messageId} has reached MaxDequeueCount of ${this.options.maxDequeueCount}. Moving message to queue '${poisonQueue}'.`,
    );
    // The stored text moves as it is (still base64 when it was), as the extension copies it.
    await this.bookkeeping(() => this.queues.send(this.connectionString, poisonQueue, message.messageText));
    await this.bookkeeping(() => this.queues.delete(this.connectionString, this.queueName, message));
  }

  private bookkeeping(work: () => Promise<void>): Promise<void> {
    return retryWhileStorageFails(work, { stopped: () => this.stopped });
  }
}

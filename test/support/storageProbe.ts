import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

/** Reads and writes the test's Azurite directly, the way another producer or an operator would. */
export function storageProbe(connectionString: string) {
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  return {
    /** Sends text as it is (the Storage SDK does not encode); pass base64 to mimic the extension. */
    async send(queue: string, text: string): Promise<string> {
      const client = queues.getQueueClient(queue);
      await client.createIfNotExists();
      return (await client.sendMessage(text)).messageId;
    },
    /** Removes and returns up to 32 visible messages' texts (none when the queue does not exist). */
    async take(queue: string): Promise<string[]> {
      const client = queues.getQueueClient(queue);
      if (!(await client.exists())) return [];
      const received = await client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      for (const m of received.receivedMessageItems) await client.deleteMessage(m.messageId, m.popReceipt);
      return received.receivedMessageItems.map((m) => m.messageText);
    },
    async peekCount(queue: string): Promise<number> {
      const client = queues.getQueueClient(queue);
      if (!(await client.exists())) return 0;
      return (await client.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
    },
    async readBlob(path: string): Promise<Buffer | undefined> {
      const [container, ...rest] = path.split('/');
      const blob = blobs.getContainerClient(container).getBlobClient(rest.join('/'));
      return (await blob.exists()) ? blob.downloadToBuffer() : undefined;
    },
    async listBlobs(container: string, prefix: string): Promise<string[]> {
      const client = blobs.getContainerClient(container);
      if (!(await client.exists())) return [];
      const names: string[] = [];
      for await (const item of client.listBlobsFlat({ prefix })) names.push(item.name);
      return names;
    },
    async writeBlob(path: string, content: string): Promise<void> {
      const [container, ...rest] = path.split('/');
      const client = blobs.getContainerClient(container);
      await client.createIfNotExists();
      await client.getBlockBlobClient(rest.join('/')).upload(content, Buffer.byteLength(content));
    },
  };
}

export type StorageProbe = ReturnType<typeof storageProbe>;

export const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
export const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

/** Polls until `probe` returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';

/**
 * Table properties hold at most 64 KiB and entities 1 MiB, so large payloads (inputs, outputs,
 * history rows) live in blobs and the row keeps the blob's name. Blobs are written before the
 * transaction that refers to them: a crash leaves at worst an unreferenced blob, never a dangling
 * reference.
 */
export class PayloadBlobs {
  constructor(private readonly container: ContainerClient) {}

  async init(): Promise<void> {
    await this.container.createIfNotExists();
  }

  async put(instanceKey: string, text: string): Promise<string> {
    const name = `${encodeURIComponent(instanceKey)}/${randomUUID()}.json`;
    const body = Buffer.from(text, 'utf8');
    await this.container.getBlockBlobClient(name).upload(body, body.length);
    return name;
  }

  async get(name: string): Promise<string> {
    const buffer = await this.container.getBlockBlobClient(name).downloadToBuffer();
    return buffer.toString('utf8');
  }

  async deleteAll(instanceKey: string): Promise<void> {
    for await (const blob of this.container.listBlobsFlat({ prefix: `${encodeURIComponent(instanceKey)}/` })) {
      await this.container.deleteBlob(blob.name).catch(() => undefined);
    }
  }
}

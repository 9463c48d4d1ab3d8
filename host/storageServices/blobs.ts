import { BlobServiceClient, RestError } from '@azure/storage-blob';

/** `container/some/blob/name` split at the first slash, as binding paths are written. */
export function splitBlobPath(blobPath: string): { container: string; blob: string } {
  const slash = blobPath.indexOf('/');
  if (slash <= 0 || slash === blobPath.length - 1)
    throw new Error(`Blob path "${blobPath}" must be "container/blob name".`);
  return { container: blobPath.slice(0, slash), blob: blobPath.slice(slash + 1) };
}

export interface BlobVersion {
  name: string;
  etag: string;
  contentLength: number;
  lastModified: Date;
  metadata: Record<string, string>;
}

/** Blob reads and writes for bindings (the protocol side; which blob to use is the caller's business). */
export class Blobs {
  private readonly clients = new Map<string, BlobServiceClient>();

  private service(connectionString: string): BlobServiceClient {
    let client = this.clients.get(connectionString);
    if (!client) {
      client = BlobServiceClient.fromConnectionString(connectionString);
      this.clients.set(connectionString, client);
    }
    return client;
  }

  /** The blob's bytes, or undefined when it (or its container) does not exist. */
  async read(connectionString: string, blobPath: string): Promise<Buffer | undefined> {
    const { container, blob } = splitBlobPath(blobPath);
    try {
      return await this.service(connectionString).getContainerClient(container).getBlobClient(blob).downloadToBuffer();
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Every blob in the container whose name starts with `prefix`; none when the container does not exist. */
  async list(connectionString: string, container: string, prefix: string): Promise<BlobVersion[]> {
    const found: BlobVersion[] = [];
    try {
      for await (const item of this.service(connectionString)
        .getContainerClient(container)
        .listBlobsFlat({ prefix: prefix === '' ? undefined : prefix, includeMetadata: true })) {
        found.push({
          name: item.name,
          etag: item.properties.etag ?? '',
          contentLength: item.properties.contentLength ?? 0,
          lastModified: item.properties.lastModified,
          metadata: item.metadata ?? {},
        });
      }
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return [];
      throw error;
    }
    return found;
  }

  async exists(connectionString: string, blobPath: string): Promise<boolean> {
    const { container, blob } = splitBlobPath(blobPath);
    return this.service(connectionString).getContainerClient(container).getBlobClient(blob).exists();
  }

  /** The blob's URL, as a blob trigger's metadata carries it. */
  url(connectionString: string, blobPath: string): string {
    const { container, blob } = splitBlobPath(blobPath);
    return this.service(connectionString).getContainerClient(container).getBlobClient(blob).url;
  }

  /** Writes the whole blob, creating its container on first use as the extension does. */
  async write(connectionString: string, blobPath: string, content: Buffer): Promise<void> {
    const { container, blob } = splitBlobPath(blobPath);
    const containerClient = this.service(connectionString).getContainerClient(container);
    const upload = (): Promise<unknown> => containerClient.getBlockBlobClient(blob).uploadData(content);
    try {
      await upload();
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      await containerClient.createIfNotExists();
      await upload();
    }
  }
}

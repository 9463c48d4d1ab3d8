import type { RegisteredFunction } from '../app/functionRegistry';
import type { RpcTypedData } from '../app/invokeFunction';
import { encodeQueueMessage } from '../bindings/queueMessageText';
import type { Blobs, BlobVersion } from '../storageServices/blobs';
import type { Queues } from '../storageServices/queues';
import { retryWhileStorageFails } from '../store/storeBackoff';
import type { BlobPathPattern } from './blobPathPattern';
import { failureLine, type TriggerInvocations } from './triggerInvocations';

/** How often the container is listed (the extension scans on an interval too; locally a short one). */
const SCAN_INTERVAL_MS = 1000;
export const BLOB_POISON_QUEUE = 'webjobs-blobtrigger-poison';

export interface BlobListenerOptions {
  fn: RegisteredFunction;
  pattern: BlobPathPattern;
  /** Where the watched container lives (the binding's connection). */
  connectionString: string;
  /** Where receipts and the poison queue live (AzureWebJobsStorage), as on the Functions host. */
  hostConnectionString: string;
  hostId: string;
  maxDequeueCount: number;
}

/**
 * A polling blob trigger like the extension's: it lists the container, runs the function once
 * for each new or changed blob (a blob version is its ETag) whose name matches the path, and
 * remembers that in a receipt blob, `azure-webjobs-hosts/blobreceipts/<hostId>/<function>/<etag>/<blob path>`,
 * so a restart does not run it again. After `maxDequeueCount` failed attempts a message goes to
 * `webjobs-blobtrigger-poison` and the version is not tried again.
 */
export class BlobListener {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Versions with a receipt or an invocation running, so a scan skips them without a storage call. */
  private readonly known = new Set<string>();
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly options: BlobListenerOptions,
    private readonly blobs: Blobs,
    private readonly queues: Queues,
    private readonly invocations: TriggerInvocations,
  ) {}

  start(): void {
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async poll(): Promise<void> {
    let failedScans = 0;
    while (!this.stopped) {
      try {
        await this.scan();
        failedScans = 0;
      } catch (error) {
        if (failedScans++ === 0)
          this.invocations.logger.warn(`Function '${this.options.fn.name}': cannot list blobs (${String(error)}).`);
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SCAN_INTERVAL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private receiptPath(version: BlobVersion): string {
    const { fn, pattern, hostId } = this.options;
    const etag = version.etag.replace(/"/g, '');
    return `azure-webjobs-hosts/blobreceipts/${hostId}/Host.Functions.${fn.name}/${etag}/${pattern.container}/${version.name}`;
  }

  private async scan(): Promise<void> {
    const { pattern, connectionString, hostConnectionString } = this.options;
    const versions = await this.blobs.list(connectionString, pattern.container, pattern.prefix);
    const runs: Promise<void>[] = [];
    for (const version of versions) {
      const params = pattern.match(version.name);
      const key = this.receiptPath(version);
      if (!params || this.known.has(key)) continue;
      this.known.add(key);
      let receipted: boolean;
      try {
        receipted = await this.blobs.exists(hostConnectionString, key);
      } catch (error) {
        // Not known to be done: the next scan asks again.
        this.known.delete(key);
        throw error;
      }
      if (receipted) continue;
      runs.push(this.invocations.tracker.track(() => this.run(version, params, key)));
    }
    await Promise.all(runs);
  }

  private async run(version: BlobVersion, params: Record<string, string>, receipt: string): Promise<void> {
    const { fn, pattern, connectionString, hostConnectionString, maxDequeueCount } = this.options;
    const blobPath = `${pattern.container}/${version.name}`;
    let content: Buffer | undefined;
    try {
      content = await this.bookkeeping(() => this.blobs.read(connectionString, blobPath));
    } catch (error) {
      // Storage, not the function, failed (or the host stops): the next scan tries again.
      this.known.delete(receipt);
      this.invocations.logger.warn(`Function '${fn.name}': cannot read blob '${blobPath}' (${String(error)}).`);
      return;
    }
    if (content === undefined) return; // deleted since the listing
    try {
      const metadata: Record<string, RpcTypedData> = {
        BlobTrigger: { string: blobPath },
        Uri: { string: this.blobs.url(connectionString, blobPath) },
        Properties: {
          json: JSON.stringify({
            Length: version.contentLength,
            ETag: version.etag,
            LastModified: version.lastModified.toISOString(),
          }),
        },
        Metadata: { json: JSON.stringify(version.metadata) },
      };
      for (const [name, value] of Object.entries(params)) metadata[name] = { string: value };
      await this.invocations.invoker.invoke({
        fn,
        trigger: { bytes: content },
        triggerMetadata: metadata,
      });
    } catch (error) {
      this.invocations.logger.error(failureLine(fn, error));
      const attempts = (this.failures.get(receipt) ?? 0) + 1;
      this.failures.set(receipt, attempts);
      if (attempts < maxDequeueCount) {
        this.known.delete(receipt); // try again at the next scan
        return;
      }
      this.invocations.logger.warn(
        `Function '${fn.name}': blob '${blobPath}' failed ${attempts} times; a message goes to queue '${BLOB_POISON_QUEUE}'.`,
      );
      const poison = {
        Type: 'BlobTrigger',
        FunctionId: `Host.Functions.${fn.name}`,
        BlobType: 'BlockBlob',
        ContainerName: pattern.container,
        BlobName: version.name,
        ETag: version.etag,
      };
      await this.bookkeeping(() =>
        this.queues.send(hostConnectionString, BLOB_POISON_QUEUE, encodeQueueMessage(JSON.stringify(poison))),
      )
        .then(() => this.writeReceipt(receipt))
        .catch((failure: unknown) => this.invocations.logger.warn(`Function '${fn.name}': ${String(failure)}`));
      return;
    }
    // The function succeeded: its receipt is tried until stored (a storage failure here is not
    // one of the function's attempts, and a missing receipt would run it again at the next start).
    await this.writeReceipt(receipt).catch((failure: unknown) =>
      this.invocations.logger.warn(`Function '${fn.name}': no receipt for '${blobPath}' (${String(failure)}).`),
    );
  }

  private writeReceipt(receipt: string): Promise<void> {
    return this.bookkeeping(() => this.blobs.write(this.options.hostConnectionString, receipt, Buffer.alloc(0)));
  }

  private bookkeeping<T>(work: () => Promise<T>): Promise<T> {
    return retryWhileStorageFails(work, { stopped: () => this.stopped });
  }
}

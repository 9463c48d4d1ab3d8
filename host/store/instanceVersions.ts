import type { InstanceIndex } from './instanceIndex';
import { rowKeys } from './tableKeys';
import { StoreConflictError } from './taskHubStore';

const LOG_ETAG_PREFIX = 'W/"log-';

/** What `versions` keeps of a purged instance: gone, so any ETag is stale and a create is fine. */
const PURGED = 'purged';

export function etagOf(seq: number): string {
  return `${LOG_ETAG_PREFIX}${String(seq)}"`;
}

export function isLogEtag(etag: string): boolean {
  return etag.startsWith(LOG_ETAG_PREFIX);
}

/** The version this store handed out for an instance, from what `get` returned (none for a purged one). */
export function handedOut(known: string | undefined): string | undefined {
  return known !== undefined && known !== PURGED ? known : undefined;
}

/** The store's check of an instance's ETag on every write, and the one write at a time per instance. */
export class InstanceVersions {
  /**
   * The current ETag of each instance this store wrote (a logged version looks like W/"log-7", a
   * direct write keeps the table's). The store is the hub's only writer, so an ETag for an
   * instance it has not written since it opened can only be the table's current one. A finished
   * instance is forgotten once checkpointed: nothing commits to it without reading it again.
   */
  private readonly versions = new Map<string, string>();
  /** Instances with a write under way: a second write meanwhile is a conflict. */
  private readonly writing = new Set<string>();

  constructor(private readonly instances: InstanceIndex) {}

  /**
   * Checks `etag` against what this store knows of the instance and holds the instance for one
   * write, before anything is awaited, so two writes at the same moment cannot both pass. For a
   * create (no ETag) resolves whether the instance is known to be absent (no table read needed),
   * and the index takes the id in from then on.
   */
  claim(instanceId: string, etag: string | undefined): { rowKey: string; knownAbsent: boolean } {
    const rowKey = rowKeys.instance(instanceId);
    const known = this.versions.get(rowKey);
    if (this.writing.has(rowKey)) throw new StoreConflictError(`Instance ${instanceId} is being written.`);
    if (etag === undefined && known !== undefined && known !== PURGED)
      throw new StoreConflictError(`Instance ${instanceId} exists.`);
    if (etag !== undefined && known !== undefined && etag !== known)
      throw new StoreConflictError(`Instance ${instanceId} changed concurrently.`);
    this.writing.add(rowKey);
    const knownAbsent = known === PURGED || (known === undefined && this.instances.isKnownAbsent(rowKey));
    if (etag === undefined) this.instances.add(rowKey);
    return { rowKey, knownAbsent };
  }

  /** Holds the instance once no write of it is under way, whatever its version. */
  async claimWhenFree(rowKey: string): Promise<void> {
    while (this.writing.has(rowKey)) await new Promise((resolve) => setTimeout(resolve, 5));
    this.writing.add(rowKey);
  }

  release(rowKey: string): void {
    this.writing.delete(rowKey);
  }

  get(rowKey: string): string | undefined {
    return this.versions.get(rowKey);
  }

  has(rowKey: string): boolean {
    return this.versions.has(rowKey);
  }

  set(rowKey: string, etag: string): void {
    this.versions.set(rowKey, etag);
  }

  purged(rowKey: string): void {
    this.versions.set(rowKey, PURGED);
    this.instances.delete(rowKey);
  }

  /** No instance holds the id: none was written since the store opened, and the index knows the hub. */
  isKnownAbsent(rowKey: string): boolean {
    return handedOut(this.versions.get(rowKey)) === undefined && this.instances.isKnownAbsent(rowKey);
  }

  forget(rowKey: string): void {
    this.versions.delete(rowKey);
  }

  forgetPurged(): void {
    for (const [rowKey, version] of this.versions) if (version === PURGED) this.versions.delete(rowKey);
  }
}

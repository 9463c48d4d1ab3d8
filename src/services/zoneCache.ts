import { Container } from '@azure/cosmos';
import { readDocument } from './optimisticUpdate';

// Delivery zones change by hand, a few times a year, never within a saga: step C reads them from
// this per-process cache instead of from Cosmos on every booking. A short expiry bounds how long a
// zone added or removed in Cosmos goes unnoticed by a running app.

export const zoneCacheExpiryMs = 60_000;

interface CachedZone<TZone> {
  readonly zone: TZone | undefined;
  readonly readAt: number;
}

/** Per container, so that tests (and apps) with several databases never share zones. */
const cached = new WeakMap<Container, Map<string, CachedZone<unknown>>>();

/**
 * The zone document `id` from the cache, or read (and cached, also when missing) if older than the
 * expiry. `nowMs` is the process's clock (not a saga's), for tests.
 */
export async function cachedZone<TZone extends { id: string }>(
  container: Container,
  id: string,
  nowMs: number = Date.now(),
): Promise<TZone | undefined> {
  let zones = cached.get(container);
  if (zones === undefined) {
    zones = new Map();
    cached.set(container, zones);
  }
  const hit = zones.get(id);
  if (hit !== undefined && nowMs - hit.readAt < zoneCacheExpiryMs) return hit.zone as TZone | undefined;
  const read = await readDocument<TZone>(container, { id, partitionKey: id }, `read zone ${id}`);
  zones.set(id, { zone: read?.document, readAt: nowMs });
  return read?.document;
}

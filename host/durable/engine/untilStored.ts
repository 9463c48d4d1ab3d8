import { retryWhileStorageFails } from '../../store/storeBackoff';
import type { StoreOutage } from '../../store/storeOutage';

/**
 * Work that follows a commit (a message to another instance, a child to start) and must not be
 * lost with the episode already durable: tried until storage takes it.
 */
export type UntilStored = <T>(work: () => Promise<T>) => Promise<T>;

export function untilStored(outage: StoreOutage, stopping: () => boolean): UntilStored {
  return (work) => retryWhileStorageFails(work, { outage, stopped: stopping });
}

import { isStorageFailure, type StoreOutage } from './storeOutage';

/** The first wait after a failed store call; it doubles with each failure in a row. */
const FIRST_MS = 250;
/** Storage that is down for a while is asked again this often, not less. */
const LONGEST_MS = 4000;

/**
 * How long to wait before trying a store call again after `failures` failures in a row: doubling
 * from 250 ms to 4 s, each wait drawn between half and all of that (jitter), so that the work a
 * host holds does not all come back at the same moment when storage does.
 */
export function storeBackoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(LONGEST_MS, FIRST_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `work` until storage takes it: a failure of storage itself (see `isStorageFailure`) is tried
 * again with backoff, for as long as it lasts, and told to `outage`; any other error is the
 * caller's. `stopped` ends the retries of a host that is stopping.
 */
export async function retryWhileStorageFails<T>(
  work: () => Promise<T>,
  options: { outage?: StoreOutage; stopped?: () => boolean } = {},
): Promise<T> {
  for (let failures = 0; ;) {
    try {
      const result = await work();
      if (failures > 0) options.outage?.succeeded();
      return result;
    } catch (error) {
      if (!isStorageFailure(error) || options.stopped?.()) throw error;
      failures++;
      options.outage?.failed(error);
      await sleep(storeBackoffMs(failures));
    }
  }
}

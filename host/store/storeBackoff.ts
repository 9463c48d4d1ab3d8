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

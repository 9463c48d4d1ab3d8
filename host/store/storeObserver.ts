/**
 * What the task hub store reports as it works, for metrics (and the benchmark's breakdown). The
 * store knows nothing of Prometheus; the host plugs an implementation in, or none.
 */
export interface StoreObserver {
  /** One append to the commit log, carrying this many commits (the group commit's size). */
  logAppend(commits: number): void;
  /** One checkpoint: the rows it wrote to the table and how long it took. */
  checkpoint(rows: number, durationMs: number): void;
}

// A store without metrics drops every report on purpose.
export const noStoreObserver: StoreObserver = {
  logAppend: () => undefined,
  checkpoint: () => undefined,
};

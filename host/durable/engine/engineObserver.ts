/**
 * What the engine reports as it works, for metrics. The engine knows nothing of Prometheus; the
 * host plugs an implementation in (host/metrics), or none.
 */
export interface EngineObserver {
  episode(orchestrator: string, durationMs: number): void;
  activity(name: string, durationMs: number, failed: boolean): void;
  commit(durationMs: number): void;
}

// The observer of a host without metrics: every report is dropped on purpose.
export const noObserver: EngineObserver = {
  episode: () => undefined,
  activity: () => undefined,
  commit: () => undefined,
};

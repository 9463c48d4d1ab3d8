const QUIET_GAP_MS = 30 * 60 * 1000;

/**
 * When the Functions host gives up restarting language workers (RpcFunctionInvocationDispatcher):
 * 3 × the worker count errors, counted since the last gap of 30 minutes without one. A worker that
 * exits with code 0 is restarted without counting.
 */
export class WorkerErrorBudget {
  private readonly errors: number[] = [];

  constructor(
    private readonly workerCount: number,
    private readonly now: () => number = Date.now,
  ) {}

  get threshold(): number {
    return 3 * this.workerCount;
  }

  /** Counts one worker error; true while a worker may still be restarted after it. */
  spend(): boolean {
    const at = this.now();
    const latest = this.errors.at(-1);
    if (latest !== undefined && at - latest > QUIET_GAP_MS) this.errors.length = 0;
    this.errors.push(at);
    return this.errors.length < this.threshold;
  }
}

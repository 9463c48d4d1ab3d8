/** Counts trigger invocations in flight, so the host can report idleness and wait for them when it stops. */
export class InvocationTracker {
  private running = 0;
  private waiters: (() => void)[] = [];

  get inFlight(): number {
    return this.running;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves once nothing runs. */
  drained(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

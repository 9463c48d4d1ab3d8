/**
 * Messages sent within one turn of the event loop cross the thread boundary as one array, both
 * ways. Each `postMessage` serializes, queues and wakes the other thread (a saga's ten invocations
 * and their log lines were about twenty from the worker alone), and answers that arrive together
 * are handled in one turn of the host, so the commits they lead to share a log append: under load
 * 11.5 commits an append against 5.3, half of Azurite's appends (`npm run bench`).
 *
 * The batch goes out before the thread ends, on every way out (a throw in a callback, an
 * unhandled rejection, `process.exit`): the owner flushes it from `process.on('exit')`, so the
 * log lines of an invocation that crashed the worker still reach the host, ahead of the exit.
 */
export class MessageBatch<T> {
  private pending: T[] = [];
  private scheduled = false;

  /**
   * @param post sends one array (throws when structured clone cannot copy a message in it).
   * @param uncopyable what to send instead of a message structured clone cannot copy (nothing when undefined).
   */
  constructor(
    private readonly post: (batch: T[]) => void,
    private readonly uncopyable: (message: T, error: unknown) => T | undefined,
  ) {}

  send(message: T): void {
    this.pending.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      this.post(batch);
    } catch {
      // One message the batch cannot carry (an invocation returned a function) must not take its
      // neighbours down with it: each goes alone, and the one that cannot is replaced.
      for (const message of batch) {
        try {
          this.post([message]);
        } catch (error) {
          const instead = this.uncopyable(message, error);
          if (instead !== undefined) this.post([instead]);
        }
      }
    }
  }
}

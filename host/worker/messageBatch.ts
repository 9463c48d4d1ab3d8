/**
 * Messages sent within one turn of the event loop cross the thread boundary as one array. Each
 * `postMessage` serializes, queues and wakes the other thread: a saga's ten invocations and their
 * log lines were about twenty of them from the worker alone, and `postMessage` was the largest
 * single item in the worker's profile.
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
   * @param uncopyable what to send instead of a message structured clone cannot copy.
   */
  constructor(
    private readonly post: (batch: T[]) => void,
    private readonly uncopyable: (message: T, error: unknown) => T,
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
          this.post([this.uncopyable(message, error)]);
        }
      }
    }
  }
}

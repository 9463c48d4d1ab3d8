import type { Checkpoints } from './checkpoints';
import { MAX_SEGMENT_BLOCKS, type CommitLog } from './commitLog';
import type { PendingRows } from './pendingRows';
import { storeBackoffMs } from './storeBackoff';
import type { StoreOutage } from './storeOutage';

/** How long a commit waits in the log before a checkpoint writes it to the table. */
const CHECKPOINT_AFTER_MS = 3000;
/** A checkpoint starts early when this many rows wait (bounds memory and what a restart reads). */
const CHECKPOINT_ROWS = 5000;

/** When checkpoints run in the background: soon after a commit, early when much waits, on and on after a failure. */
export class CheckpointSchedule {
  private timer: NodeJS.Timeout | undefined;
  /** Checkpoints failed in a row: the next one waits longer. */
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly checkpoint: () => Promise<void>,
    private readonly checkpoints: Checkpoints,
    private readonly pending: PendingRows,
    private readonly log: CommitLog,
    private readonly outage: StoreOutage,
  ) {}

  /** After a commit: a checkpoint will write it. */
  request(): void {
    if (this.stopped) return;
    if (this.failures === 0 && (this.pending.size >= CHECKPOINT_ROWS || this.log.blocks >= MAX_SEGMENT_BLOCKS)) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.inBackground();
      return;
    }
    const delay = this.failures === 0 ? CHECKPOINT_AFTER_MS : storeBackoffMs(this.failures);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.inBackground();
    }, delay);
    // The log is durable: a process that ends without closing the store loses nothing by not waiting.
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * A checkpoint nobody waits for. One that fails is tried again with backoff, however long
   * storage is away: on an idle host no later commit would ask for it, and the log would keep
   * growing with every restart's reading of it.
   */
  private inBackground(): void {
    void this.checkpoint().then(
      () => {
        if (this.failures > 0) this.outage.succeeded();
        this.failures = 0;
      },
      (error: unknown) => {
        this.failures++;
        this.outage.failed(error);
        if (this.checkpoints.owed) this.request();
      },
    );
  }
}

import type { Clock } from './clock';

/** setTimeout takes at most 2^31-1 ms; longer timers re-arm until due. */
const MAX_DELAY = 2 ** 31 - 1;

/** Fires durable timers from memory; the durable record is the TimerCreated event in history. */
export class TimerScheduler {
  private readonly handles = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  arm(fireAt: Date, fire: () => void): void {
    if (this.stopped) return;
    const delay = fireAt.getTime() - this.clock.now().getTime();
    const handle = setTimeout(
      () => {
        this.handles.delete(handle);
        if (this.clock.now().getTime() >= fireAt.getTime()) fire();
        else this.arm(fireAt, fire);
      },
      Math.min(Math.max(delay, 0), MAX_DELAY),
    );
    this.handles.add(handle);
  }

  get armed(): number {
    return this.handles.size;
  }

  stop(): void {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}

import type { Clock, SkippingClock } from './clock';

/** setTimeout takes at most 2^31-1 ms; longer timers re-arm until due. */
const MAX_DELAY = 2 ** 31 - 1;

interface ArmedTimer {
  fireAt: Date;
  fire: () => void;
  handle: NodeJS.Timeout | undefined;
}

/**
 * Fires durable timers from memory; the durable record is the TimerCreated event in history.
 * With time skipping, when the host reports that nothing else can run, the clock jumps to the
 * earliest timer and fires it at once.
 */
export class TimerScheduler {
  private readonly timers = new Set<ArmedTimer>();
  private stopped = false;
  private skipScheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly skipping?: { clock: SkippingClock; isIdle: () => boolean },
  ) {}

  arm(fireAt: Date, fire: () => void): void {
    if (this.stopped) return;
    const timer: ArmedTimer = { fireAt, fire, handle: undefined };
    this.timers.add(timer);
    this.schedule(timer);
    this.quiet();
  }

  private schedule(timer: ArmedTimer): void {
    const delay = timer.fireAt.getTime() - this.clock.now().getTime();
    timer.handle = setTimeout(
      () => {
        if (this.clock.now().getTime() >= timer.fireAt.getTime()) this.fire(timer);
        else this.schedule(timer);
      },
      Math.min(Math.max(delay, 0), MAX_DELAY),
    );
  }

  private fire(timer: ArmedTimer): void {
    if (!this.timers.delete(timer)) return;
    clearTimeout(timer.handle);
    timer.fire();
  }

  /**
   * The host calls this whenever work finishes. With time skipping on, once it is still idle on
   * the next turn of the event loop, the earliest timer fires with the clock moved to its time.
   * While it is busy (an episode, an activity, any HTTP request, a status poll included) it
   * looks again shortly: the last piece of work may end without calling here.
   */
  quiet(delayMs = 2): void {
    const skipping = this.skipping;
    if (!skipping || this.skipScheduled || this.stopped || this.timers.size === 0) return;
    this.skipScheduled = true;
    setTimeout(() => {
      this.skipScheduled = false;
      if (this.stopped) return;
      if (!skipping.isIdle()) {
        this.quiet(10);
        return;
      }
      let earliest: ArmedTimer | undefined;
      for (const timer of this.timers) if (!earliest || timer.fireAt < earliest.fireAt) earliest = timer;
      if (!earliest) return;
      skipping.clock.advanceTo(earliest.fireAt);
      this.fire(earliest);
    }, delayMs);
  }

  get armed(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer.handle);
    this.timers.clear();
  }
}

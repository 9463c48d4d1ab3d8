/** Where durable time comes from; a test clock can replace it (time skipping). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Real time plus an offset that only grows: time skipping moves it forward to the next timer
 * when nothing else can run, so orchestrations see minutes or days pass in milliseconds.
 */
export class SkippingClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advanceTo(time: Date): void {
    const ahead = time.getTime() - this.now().getTime();
    if (ahead > 0) this.offsetMs += ahead;
  }

  get skippedMs(): number {
    return this.offsetMs;
  }
}

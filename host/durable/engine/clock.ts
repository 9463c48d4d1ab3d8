/** Where durable time comes from; a test clock can replace it (time skipping). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

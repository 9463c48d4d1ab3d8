// Settings use ISO-8601 durations (PT5M, PT30S, P1D) because that is what Azure Functions and the
// Durable extension use in host.json, so one notation covers every time setting of the app.
const isoDurationPattern =
  /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO-8601 day-time duration, or undefined when the text is not one. */
export function parseIsoDuration(text: string): number | undefined {
  const match = isoDurationPattern.exec(text.trim());
  if (match === null) return undefined;
  const [, days, hours, minutes, seconds] = match;
  // "P" and "PT" alone match the pattern but name no duration.
  if (days === undefined && hours === undefined && minutes === undefined && seconds === undefined) {
    return undefined;
  }
  const ms =
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1_000;
  return Math.round(ms);
}

/** The shortest ISO-8601 text for a duration, for messages and the settings table in docs/http-api.md. */
export function formatIsoDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds % 86_400 === 0 && seconds > 0) return `P${seconds / 86_400}D`;
  if (seconds % 3600 === 0 && seconds > 0) return `PT${seconds / 3600}H`;
  if (seconds % 60 === 0 && seconds > 0) return `PT${seconds / 60}M`;
  return `PT${seconds}S`;
}

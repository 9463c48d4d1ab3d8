// Stock and account documents remember, per saga, what the saga did to them ("markers"). A marker
// in the same document as the balance is what makes do/undo idempotent without transactions: the
// balance and the marker change in one ETag-checked write.
//
// Markers are only needed while a saga can still act on the document: its retries and
// compensations end within minutes. Keeping them for 30 days bounds the document size (Cosmos
// items are limited to 2 MB) while leaving a wide margin for an incident to be repaired by hand.

export const markerRetentionMs = 30 * 24 * 3_600_000;

export function pruneMarkers<TMarker>(
  markers: Readonly<Record<string, TMarker>>,
  lastTouched: (marker: TMarker) => string,
  now: Date,
): Record<string, TMarker> {
  const cutoff = now.getTime() - markerRetentionMs;
  return Object.fromEntries(Object.entries(markers).filter(([, marker]) => Date.parse(lastTouched(marker)) >= cutoff));
}

/**
 * v3's fence in time: a do-activity decides inside its read-decide-write loop, so a refusal here and
 * the write it prevents are one conditional write. `deadlineAt` is absent for v1/v2 sagas.
 */
export function deadlinePassed(now: Date, deadlineAt: Date): boolean {
  return now.getTime() >= deadlineAt.getTime();
}

export function deadlinePassedReason(deadlineAt: Date): { code: 'deadline-passed'; message: string } {
  return { code: 'deadline-passed', message: `the saga's deadline ${deadlineAt.toISOString()} has passed` };
}

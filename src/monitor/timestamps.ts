// Times reach the monitor in three spellings: status times without fractions
// ("2025-03-01T10:00:00Z"), history times with .NET's seven fractional digits
// ("2025-03-01T10:00:00.1234567Z") and the saga's own ISO strings. Only ISO 8601 with a zone is
// read: anything else is "unknown", never a guess in the server's local time zone.

const isoWithZone = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or undefined when the value is not a zoned ISO time. */
export function epochMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string') return undefined;
  const match = isoWithZone.exec(value.trim());
  if (match === null) return undefined;
  // Engines differ on more than three fractional digits; milliseconds are all the page shows.
  const fraction = match[2] === undefined ? '' : match[2].slice(0, 4);
  const parsed = Date.parse(`${match[1]}${fraction}${match[3]}`);
  return Number.isNaN(parsed) ? undefined : parsed;
}

const firstFilterableMs = Date.parse('0001-01-01T00:00:00Z');
const lastFilterableMs = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A zoned ISO time the Durable HTTP API can filter by: .NET's DateTime holds the years 1 to 9999,
 * and outside them toISOString() writes "+010000-…", which the durable client puts into its query
 * string unencoded. Undefined for anything else.
 */
export function filterTime(value: string): Date | undefined {
  const ms = epochMs(value);
  return ms === undefined || ms < firstFilterableMs || ms > lastFilterableMs ? undefined : new Date(ms);
}

/** The same instant as an ISO string with milliseconds, or undefined. */
export function isoTime(value: unknown): string | undefined {
  const ms = epochMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** "340 ms", "4.2 s", "3 min 05 s", "2 h 03 min", "3 d 4 h": short enough for a table cell. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

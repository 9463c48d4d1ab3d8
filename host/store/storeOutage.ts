export interface OutageListener {
  /** Storage stopped answering: once per outage, with the first failure's reason. */
  down(reason: string): void;
  /** Storage answers again after an outage. */
  up(): void;
}

/**
 * Whether the host can reach its store, as the retries of its work see it. Many units of work
 * fail at once when storage goes away; the host says so once, and once when it is back, instead
 * of a line per failed attempt.
 */
export class StoreOutage {
  private failingSince: number | undefined;
  private listener: OutageListener | undefined;

  listen(listener: OutageListener): void {
    this.listener = listener;
  }

  get isDown(): boolean {
    return this.failingSince !== undefined;
  }

  failed(error: unknown): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = Date.now();
    this.listener?.down(describe(error));
  }

  succeeded(): void {
    if (this.failingSince === undefined) return;
    this.failingSince = undefined;
    this.listener?.up();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  const status = (error as Error & { statusCode?: unknown }).statusCode;
  const detail = [typeof status === 'number' ? `status ${status}` : '', typeof code === 'string' ? code : '']
    .filter((part) => part.length > 0)
    .join(', ');
  const firstLine = error.message.split('\n')[0].slice(0, 300);
  return detail.length > 0 ? `${firstLine} (${detail})` : firstLine;
}

/** Socket-level failures: storage (or the way to it) is away, whatever the request was. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
]);

/**
 * Whether a store call failed because storage did not answer as it should (a reset, a timeout, a
 * 5xx, throttling): worth trying again for as long as it takes. A refusal that names the request
 * (400, 404, a conflict) is not.
 */
export function isStorageFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, statusCode } = error as Error & { code?: unknown; statusCode?: unknown };
  if (typeof statusCode === 'number') return statusCode === 408 || statusCode === 429 || statusCode >= 500;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return error.name === 'RestError' || error.name === 'AbortError' || /timed out|socket hang up/i.test(error.message);
}

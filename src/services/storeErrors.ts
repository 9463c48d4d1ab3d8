// Named errors of the storage layer. Activities throw them; callActivityWithRetry retries whatever
// is thrown, so the names are for people reading histories and logs: "transient" says that a retry
// is expected to help, "store" that something is wrong that a retry will not fix.

/** Status codes Cosmos DB documents as "retry later": timeout, throttled, write conflict, unavailable. */
const transientStatusCodes = new Set([408, 429, 449, 503]);

/** Node/undici network failures where the request may or may not have reached the database. */
const transientNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** A failed Cosmos call, prefixed with the operation it was part of (e.g. "charge cust-1 for saga-9"). */
abstract class CosmosCallError extends Error {
  constructor(
    readonly operation: string,
    readonly code: number | string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${message}`, options);
  }
}

export class TransientStoreError extends CosmosCallError {
  override readonly name = 'TransientStoreError';
}

export class StoreError extends CosmosCallError {
  override readonly name = 'StoreError';
}

/** The error to throw for a failed Cosmos call, named by whether retrying can help. */
export function storeFailure(operation: string, error: unknown): TransientStoreError | StoreError {
  if (error instanceof TransientStoreError || error instanceof StoreError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
  if (isTransient(error, code)) {
    return new TransientStoreError(operation, code, `transient failure (${code ?? 'timeout'}): ${message}`, {
      cause: error,
    });
  }
  return new StoreError(operation, code, `failed (${code ?? 'no status'}): ${message}`, { cause: error });
}

export function statusCodeOf(error: unknown): number | undefined {
  const code = errorCode(error);
  return typeof code === 'number' ? code : undefined;
}

function isTransient(error: unknown, code: number | string | undefined): boolean {
  if (typeof code === 'number') return transientStatusCodes.has(code);
  if (typeof code === 'string' && transientNetworkCodes.has(code)) return true;
  const name = error instanceof Error ? error.name : undefined;
  return name === 'TimeoutError' || name === 'AbortError' || code === 'TimeoutError';
}

function errorCode(error: unknown): number | string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, statusCode, cause } = error as { code?: unknown; statusCode?: unknown; cause?: unknown };
  if (typeof code === 'number' || typeof code === 'string') return code;
  if (typeof statusCode === 'number') return statusCode;
  return cause !== undefined && cause !== error ? errorCode(cause) : undefined;
}

import type { DurableHttpRequestWire } from './orchestratorAnswer';

/** The durable HTTP response the SDK reads (DurableHttpResponse): status, headers, content as text. */
export interface DurableHttpResponseWire {
  statusCode: number;
  headers: Record<string, string>;
  content: string;
}

/** The extension gives a durable HTTP request at most this long (its default HttpTimeout is minutes, not forever). */
const TIMEOUT_MS = 100_000;

/**
 * The extension's built-in HTTP activity: sends the request the orchestrator asked for (callHttp)
 * and returns the response as data. Errors (DNS, refused, timeout) fail the task like an activity.
 */
export async function runHttpActivity(request: DurableHttpRequestWire): Promise<DurableHttpResponseWire> {
  const method = (request.method || 'GET').toUpperCase();
  const response = await fetch(request.uri, {
    method,
    headers: request.headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : request.content,
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { statusCode: response.status, headers, content: await response.text() };
}

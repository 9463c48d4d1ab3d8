import type { ServerResponse } from 'node:http';

/** An HTTP error with the status it carries, thrown by handlers and answered by the server. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpProblem => new HttpProblem(400, message);
export const notFound = (message: string): HttpProblem => new HttpProblem(404, message);
export const gone = (message: string): HttpProblem => new HttpProblem(410, message);
/** Closes the connection after answering: the rest of the body is not read. */
export const payloadTooLarge = (limit: number): HttpProblem =>
  new HttpProblem(413, `The request body is larger than ${limit} bytes.`, { Connection: 'close' });

/**
 * Writes an error body. The Durable HTTP API answers ASP.NET `HttpError` JSON (`Message`), which
 * we also use for the host's own errors so clients see one shape.
 */
export function writeProblem(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ Message: message });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

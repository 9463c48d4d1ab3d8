import net from 'node:net';

// Requests written byte for byte on a socket: fetch and http.request normalise or refuse the
// malformed headers and targets a hostile client can send, so those are tested this way.

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: a path, or anything else. */
  target: string;
  /** Header lines as sent, in order; no Host line is added. */
  headers: [string, string][];
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Thrown when the server closed or reset the connection without a complete answer. */
export class DroppedConnectionError extends Error {}

function encode(request: RawRequest): Buffer {
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

function parse(all: Buffer, method: string): RawResponse | undefined {
  let raw = all;
  let end: number;
  let match: RegExpExecArray | null;
  let lines: string[];
  // Interim 1xx answers come before the real one.
  for (;;) {
    end = raw.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...rest] = raw.subarray(0, end).toString('latin1').split('\r\n');
    match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    lines = rest;
    if (!match) return undefined;
    if (!match[1].startsWith('1')) break;
    raw = raw.subarray(end + 4);
  }
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = method.toUpperCase() === 'HEAD' ? Buffer.alloc(0) : raw.subarray(end + 4);
  if (method.toUpperCase() === 'HEAD') {
    // No body follows an answer to HEAD, whatever its headers say.
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size)) return undefined;
      if (size === 0) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined && body.length < Number(headers['content-length'])) {
    return undefined;
  }
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

/** Sends one request on its own connection and reads the answer until the server closes it. */
export function sendRaw(origin: string, request: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const response = parse(Buffer.concat(chunks), request.method);
      if (response) resolve(response);
      else
        reject(
          error ??
            new DroppedConnectionError(
              `${request.method} ${request.target}: the connection closed after ${Buffer.concat(chunks).length} bytes without a complete answer`,
            ),
        );
    };
    const timer = setTimeout(
      () => settle(new DroppedConnectionError(`${request.method} ${request.target}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => settle());
    socket.on('close', () => settle());
    socket.on('error', (error) => {
      // A reset after a complete answer (the server closed while we were still writing) is still an answer.
      if (parse(Buffer.concat(chunks), request.method)) settle();
      else settle(new DroppedConnectionError(`${request.method} ${request.target}: ${error.message}`));
    });
    socket.write(encode(request));
  });
}

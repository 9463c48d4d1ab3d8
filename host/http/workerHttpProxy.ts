import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The header the worker's proxy matches a request to its invocation by (ScriptConstants.HttpProxyCorrelationHeader). */
export const INVOCATION_ID_HEADER = 'x-ms-invocation-id';

/**
 * How long the forwarded request may go without any progress before it is given up, as the
 * Functions host configures its forwarder (ActivityTimeout 240 s in DefaultHttpProxyService).
 */
const ACTIVITY_TIMEOUT_MS = 240_000;

/** Headers about one connection, not the message: never forwarded, either way (as YARP drops them). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// One pool of connections to the workers' proxies, as the Functions host keeps one handler for all.
const agent = new http.Agent({ keepAlive: true });

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connection = headers.connection?.split(',').map((name) => name.trim().toLowerCase()) ?? [];
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name) && !connection.includes(name)) out[name] = value;
  return out;
}

export interface ProxyForwarding {
  /** Settles once the worker's response has reached the client in full, or the forwarding failed. */
  readonly done: Promise<void>;
  /** Why the forwarding failed, once it has. */
  readonly failure: unknown;
  /** Stops forwarding: the request to the worker is dropped and the client's body left unread. */
  abort(): void;
}

/**
 * Forwards a client's request to a language worker's HTTP proxy and its answer back, both bodies
 * streamed, as the Functions host's DefaultHttpProxyService does with YARP's forwarder: the
 * method, path and query and end-to-end headers as sent, the original Host in X-Forwarded-Host
 * (YARP's defaults, which the library reads to rebuild the URL), and the invocation id header;
 * the proxy's status, headers and body go to the client as they come.
 */
export function forwardToWorker(
  httpUri: string,
  invocationId: string,
  client: { req: IncomingMessage; res: ServerResponse; url: URL },
  body: Readable | undefined,
): ProxyForwarding {
  const { req, res, url } = client;
  const target = new URL(httpUri);
  const headers = endToEnd(req.headers);
  delete headers.host;
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = url.host;
  headers[INVOCATION_ID_HEADER] = invocationId;
  const toWorker = http.request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    // The checked path and query, set as a path so that //x stays a path.
    path: url.pathname + url.search,
    headers,
    agent,
  });
  toWorker.setTimeout(ACTIVITY_TIMEOUT_MS, () =>
    toWorker.destroy(new Error(`The worker's HTTP proxy did nothing for ${ACTIVITY_TIMEOUT_MS / 1000} s.`)),
  );
  const done = new Promise<void>((resolve, reject) => {
    toWorker.on('error', reject);
    // The client's body failing (over the size limit, the client gone) fails the forwarding with its error.
    body?.on('error', (error) => {
      toWorker.destroy();
      reject(error);
    });
    toWorker.on('response', (fromWorker) => {
      res.writeHead(fromWorker.statusCode ?? 200, endToEnd(fromWorker.headers));
      // A worker that goes away mid-body ends the client's response short, not as if complete.
      pipeline(fromWorker, res).then(resolve, reject);
    });
  });
  if (body) body.pipe(toWorker);
  else toWorker.end();
  const forwarding = {
    done,
    failure: undefined as unknown,
    abort: () => {
      body?.unpipe(toWorker);
      toWorker.destroy();
      // Whatever of the body is still coming is read and dropped, so the connection can serve the next request.
      req.unpipe();
      req.resume();
    },
  };
  // Kept, not thrown: the caller looks at it once the invocation is over.
  done.catch((error: unknown) => (forwarding.failure = error));
  return forwarding;
}

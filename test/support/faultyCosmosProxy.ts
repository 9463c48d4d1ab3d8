import { createServer, IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

// A real HTTP proxy in front of the real Cosmos-protocol server, for the failures that data
// cannot produce: transient answers (503, 429, 408, 449), lost replies, where the request
// reaches the database and commits and the caller never hears back, and requests held until the
// test lets them go (a saga that stays Running, with no error and no retry timer, for as long as
// a test needs it). Fault injection lives here, never in src/.

export type FaultKind =
  /**
   * Answer with this status without forwarding: nothing reaches the database. Transient ones
   * (408, 429, 449, 503) or others, e.g. 403 as from a missing Entra data-plane role.
   */
  | { readonly type: 'status'; readonly status: number }
  /** Forward, let the database commit, then cut the connection instead of replying. */
  | { readonly type: 'drop-reply' }
  /** Keep the request waiting until `release()`. */
  | { readonly type: 'hold' }
  /** Forward after `ms`: a slow answer, as from a throttled or distant database. */
  | { readonly type: 'delay'; readonly ms: number };

export interface Fault {
  readonly kind: FaultKind;
  /** How many matching requests get the fault (default 1). */
  readonly times?: number;
  /** Which requests: defaults to every request. */
  readonly matches?: (request: { method: string; path: string }) => boolean;
}

/** Random faults: each request, with chance `rate`, gets one of the kinds the picker returns. */
export interface RandomCosmosFaults {
  readonly rate: number;
  readonly pick: (random: () => number) => FaultKind;
}

/** What a Cosmos account does now and then: throttles, times out, is unavailable, answers slowly, loses a reply. */
export const everydayCosmosFaults = (random: () => number): FaultKind => {
  const roll = random();
  if (roll < 0.2) return { type: 'status', status: 429 };
  if (roll < 0.4) return { type: 'status', status: 503 };
  if (roll < 0.55) return { type: 'status', status: 408 };
  if (roll < 0.8) return { type: 'drop-reply' };
  return { type: 'delay', ms: 1500 + Math.floor(random() * 2500) };
};

export interface FaultyCosmosProxy {
  readonly endpoint: string;
  inject(fault: Fault): void;
  /** From now on until `clear()`, faults at random (after any injected ones), from `random`. */
  randomly(random: () => number, faults: RandomCosmosFaults): void;
  clear(): void;
  /** Ends every hold fault and lets the held requests through, in the order they came. */
  release(): void;
  /** Faults actually served, by type. */
  readonly served: { status: number; 'drop-reply': number; hold: number; delay: number };
  /** Every request that came through, in arrival order (for counting round trips). */
  readonly requests: readonly { method: string; path: string }[];
  stop(): Promise<void>;
}

/** Matches document writes (create, replace, upsert) in one container. */
export function documentWritesTo(containerId: string): (request: { method: string; path: string }) => boolean {
  const docs = new RegExp(`/colls/${containerId}/docs(/|$)`);
  return ({ method, path }) => (method === 'POST' || method === 'PUT') && docs.test(path);
}

export async function startFaultyCosmosProxy(targetEndpoint: string): Promise<FaultyCosmosProxy> {
  const target = new URL(targetEndpoint);
  const faults: { fault: Fault; remaining: number }[] = [];
  const served = { status: 0, 'drop-reply': 0, hold: 0, delay: 0 };
  let random: { next: () => number; faults: RandomCosmosFaults } | undefined;
  const requests: { method: string; path: string }[] = [];
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();

  const takeFault = (method: string, path: string): FaultKind | undefined => {
    const entry = faults.find(({ fault, remaining }) => remaining > 0 && (fault.matches?.({ method, path }) ?? true));
    if (entry === undefined) {
      if (random === undefined || random.next() >= random.faults.rate) return undefined;
      return random.faults.pick(random.next);
    }
    entry.remaining--;
    return entry.fault.kind;
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      requests.push({ method, path });
      const fault = takeFault(method, path);
      if (fault?.type === 'status') {
        served.status++;
        respondWithStatus(response, fault.status);
        return;
      }
      const forward = (): void => {
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method,
            path,
            headers: { ...request.headers, host: target.host },
          },
          (upstreamResponse) => {
            const body: Buffer[] = [];
            upstreamResponse.on('data', (chunk: Buffer) => body.push(chunk));
            upstreamResponse.on('end', () => {
              if (fault?.type === 'drop-reply') {
                served['drop-reply']++;
                request.socket.destroy();
                return;
              }
              response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
              response.end(Buffer.concat(body));
            });
          },
        );
        upstream.on('error', () => request.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (fault?.type === 'hold') {
        served.hold++;
        held.push(forward);
      } else if (fault?.type === 'delay') {
        served.delay++;
        setTimeout(forward, fault.ms);
      } else {
        forward();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    served,
    requests,
    inject(fault) {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    randomly(next, options) {
      random = { next, faults: options };
    },
    clear() {
      faults.length = 0;
      random = undefined;
    },
    release() {
      for (let i = faults.length - 1; i >= 0; i--) if (faults[i].fault.kind.type === 'hold') faults.splice(i, 1);
      for (const forward of held.splice(0)) forward();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        held.length = 0;
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function respondWithStatus(response: ServerResponse, status: number): void {
  const codes: Record<number, string> = {
    403: 'Forbidden',
    408: 'RequestTimeout',
    429: 'TooManyRequests',
    449: 'RetryWith',
    500: 'InternalServerError',
    503: 'ServiceUnavailable',
  };
  response.writeHead(status, {
    'content-type': 'application/json',
    // Cosmos tells a throttled client when to come back; keep it short for tests.
    ...(status === 429 ? { 'x-ms-retry-after-ms': '1' } : {}),
  });
  response.end(JSON.stringify({ code: codes[status] ?? 'Error', message: `injected ${status} by the faulty proxy` }));
}

import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { developmentConnectionString } from '../../host/azurite';

// A real proxy in front of a real Azurite, one listener per service, for the failures a healthy
// store never shows: answers the service did not give (500, 503), requests that are applied and
// whose reply is lost, connections reset or left hanging, and outages that cut every open
// connection and refuse new ones. The host reaches its store only through it (its
// AzureWebJobsStorage names the proxy's ports). Fault injection lives here, never in host/.

export type StorageService = 'blob' | 'queue' | 'table';

export interface StorageRequest {
  readonly service: StorageService;
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly path: string;
  /** The request body, for matchers (what `requests` keeps has none). */
  readonly body?: Buffer;
}

export type StorageFaultKind =
  /** Answer with this status without forwarding: nothing reaches Azurite. */
  | { readonly type: 'status'; readonly status: number }
  /** Forward, let Azurite apply the request, then reset the connection instead of replying. */
  | { readonly type: 'drop-reply' }
  /** Reset the connection without forwarding (a TCP RST). */
  | { readonly type: 'reset' }
  /** Forward nothing and answer nothing for `ms`, then reset (what a client timeout meets). */
  | { readonly type: 'stall'; readonly ms: number }
  /** Hold the request back for `ms`, then forward it and answer as usual (a slow store). */
  | { readonly type: 'delay'; readonly ms: number };

export interface StorageFault {
  readonly kind: StorageFaultKind;
  /** How many matching requests get the fault (default 1). */
  readonly times?: number;
  /** Which requests: defaults to every request. */
  readonly matches?: (request: StorageRequest) => boolean;
}

export interface RandomFaults {
  /** The chance that a request gets a fault. */
  readonly rate: number;
  /** Which requests may get one: defaults to every request. */
  readonly matches?: (request: StorageRequest) => boolean;
}

export interface StorageFaultProxy {
  /** A connection string naming the proxy's ports, with Azurite's development account. */
  readonly connectionString: string;
  inject(fault: StorageFault): void;
  /** Faults from the seeded generator (see `seededRandom`) for requests that no injected fault takes. */
  randomly(random: () => number, faults: RandomFaults): void;
  /** Ends injected and random faults (an outage under way goes on until it ends). */
  clear(): void;
  /** Resets every open connection and every new one until `end()` (or for `ms`, when given). */
  outage(ms?: number): { end(): void };
  /** Faults actually served, by type (outages count each connection they cut as a reset). */
  readonly served: Record<StorageFaultKind['type'], number>;
  readonly requests: readonly StorageRequest[];
  stop(): Promise<void>;
}

/** Append Block on a blob: each commit of the task hub's commit log is one. */
export const appendBlock = (request: StorageRequest): boolean =>
  request.service === 'blob' && request.method === 'PUT' && /[?&]comp=appendblock(&|$)/i.test(request.path);

/** Mulberry32: a small generator whose whole state is the seed, so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed a fault run uses: FAULT_SEED when given (to replay a run), else a fresh one. */
export function faultSeed(): number {
  const given = process.env.FAULT_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed)) throw new Error(`FAULT_SEED must be an integer, not '${given}'.`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

const STATUS_TEXT: Record<number, string> = { 500: 'InternalError', 503: 'ServerBusy', 408: 'OperationTimedOut' };

export async function startStorageFaultProxy(target: {
  blob: number;
  queue: number;
  table: number;
}): Promise<StorageFaultProxy> {
  const faults: { fault: StorageFault; remaining: number }[] = [];
  let random: { next: () => number; faults: RandomFaults } | undefined;
  const served: StorageFaultProxy['served'] = { status: 0, 'drop-reply': 0, reset: 0, stall: 0, delay: 0 };
  const requests: StorageRequest[] = [];
  const sockets = new Set<Socket>();
  const stalls = new Set<NodeJS.Timeout>();
  let outages = 0;
  const agent = new Agent({ keepAlive: true });

  const randomFault = (request: StorageRequest): StorageFaultKind | undefined => {
    if (!random || !(random.faults.matches?.(request) ?? true)) return undefined;
    // Both draws happen for every request, so a seed gives the same faults to the same requests.
    const roll = random.next();
    const pick = random.next();
    if (roll >= random.faults.rate) return undefined;
    if (pick < 0.3) return { type: 'status', status: pick < 0.15 ? 500 : 503 };
    if (pick < 0.6) return { type: 'drop-reply' };
    if (pick < 0.85) return { type: 'reset' };
    return { type: 'stall', ms: 500 + Math.floor(pick * 1000) };
  };

  const takeFault = (request: StorageRequest): StorageFaultKind | undefined => {
    const entry = faults.find(({ fault, remaining }) => remaining > 0 && (fault.matches?.(request) ?? true));
    if (entry === undefined) return randomFault(request);
    entry.remaining--;
    return entry.fault.kind;
  };

  const reset = (socket: Socket): void => {
    if (!socket.destroyed) socket.resetAndDestroy();
  };

  const listen = async (service: StorageService, targetPort: number): Promise<{ port: number; close(): void }> => {
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const seen: StorageRequest = { service, method: request.method ?? 'GET', path: request.url ?? '/' };
        requests.push(seen);
        const fault = takeFault({ ...seen, body: Buffer.concat(chunks) });
        if (fault) served[fault.type]++;
        if (fault?.type === 'status') {
          const code = STATUS_TEXT[fault.status] ?? 'InternalError';
          response.writeHead(fault.status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
          response.end(
            `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>injected ${fault.status} by the storage fault proxy</Message></Error>`,
          );
          return;
        }
        if (fault?.type === 'reset') {
          reset(request.socket);
          return;
        }
        if (fault?.type === 'stall') {
          const timer = setTimeout(() => {
            stalls.delete(timer);
            reset(request.socket);
          }, fault.ms);
          stalls.add(timer);
          return;
        }
        const forward = (): void => {
          const upstream = httpRequest(
            {
              host: '127.0.0.1',
              port: targetPort,
              method: seen.method,
              path: seen.path,
              headers: request.headers,
              agent,
            },
            (upstreamResponse) => {
              const body: Buffer[] = [];
              upstreamResponse.on('data', (chunk: Buffer) => body.push(chunk));
              upstreamResponse.on('end', () => {
                if (fault?.type === 'drop-reply') {
                  reset(request.socket);
                  return;
                }
                if (response.destroyed) return;
                response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
                response.end(Buffer.concat(body));
              });
            },
          );
          upstream.on('error', () => reset(request.socket));
          upstream.end(Buffer.concat(chunks));
        };
        if (fault?.type === 'delay') {
          const timer = setTimeout(() => {
            stalls.delete(timer);
            forward();
          }, fault.ms);
          stalls.add(timer);
          return;
        }
        forward();
      });
    });
    server.on('connection', (socket: Socket) => {
      if (outages > 0) {
        served.reset++;
        reset(socket);
        return;
      }
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    // A reset client socket makes the server emit errors that are the point of the exercise.
    server.on('clientError', (_error, socket: Socket) => reset(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      close: () => {
        server.close();
        server.closeAllConnections();
      },
    };
  };

  const blob = await listen('blob', target.blob);
  const queue = await listen('queue', target.queue);
  const table = await listen('table', target.table);

  return {
    connectionString: developmentConnectionString({ blob: blob.port, queue: queue.port, table: table.port }),
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
    outage(ms) {
      outages++;
      for (const socket of sockets) {
        served.reset++;
        reset(socket);
      }
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        outages--;
      };
      const timer = ms === undefined ? undefined : setTimeout(end, ms);
      return { end };
    },
    stop: async () => {
      for (const timer of stalls) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      blob.close();
      queue.close();
      table.close();
      agent.destroy();
      await Promise.resolve();
    },
  };
}

import { createServer, IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

// A proxy in front of the Cosmos-protocol server that can hold matching requests until released:
// the activity that sent one is simply still running, with no error and no retry timer. That
// gives the browser tests a saga that stays Running for as long as they need, to suspend, resume
// and terminate it. (Fault injection stays in test/, never in src/.)

export interface HoldingCosmosProxy {
  readonly endpoint: string;
  /** Hold every request that matches from now on. */
  hold(matches: (request: { method: string; path: string }) => boolean): void;
  /** Stop holding and let the held requests through, in the order they came. */
  release(): void;
  /** How many requests are waiting right now. */
  readonly heldCount: number;
  stop(): Promise<void>;
}

export async function startHoldingCosmosProxy(targetEndpoint: string): Promise<HoldingCosmosProxy> {
  const target = new URL(targetEndpoint);
  let matcher: ((request: { method: string; path: string }) => boolean) | undefined;
  const held: (() => void)[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const forward = (): void => {
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } },
          (upstreamResponse) => {
            response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
            upstreamResponse.pipe(response);
          },
        );
        upstream.on('error', () => request.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (matcher?.({ method: request.method ?? 'GET', path: request.url ?? '/' })) held.push(forward);
      else forward();
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
    hold(matches) {
      matcher = matches;
    },
    release() {
      matcher = undefined;
      for (const forward of held.splice(0)) forward();
    },
    get heldCount() {
      return held.length;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        held.length = 0;
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Document writes (create, replace, upsert) in one container. */
export function writesTo(containerId: string): (request: { method: string; path: string }) => boolean {
  const docs = new RegExp(`/colls/${containerId}/docs(/|$)`);
  return ({ method, path }) => (method === 'POST' || method === 'PUT') && docs.test(path);
}

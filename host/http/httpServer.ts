import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import findMyWay, { type HTTPMethod } from 'find-my-way';
import inject, { type InjectOptions, type Response as InjectedResponse } from 'light-my-request';
import { StartupError } from '../config/startupError';
import type { HostLogger } from '../logging/hostLogger';
import { HttpProblem, payloadTooLarge, writeProblem } from './problems';
import { requestUrl } from './requestUrl';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string | undefined>;
  /** Reads the whole body (bounded); call once. */
  body: () => Promise<Buffer>;
  /**
   * The body as it arrives, under the same bound: throws 413 at once for a declared length over it,
   * and the stream fails with 413 once more than that has come. Call once, instead of `body`.
   */
  bodyStream: () => Readable;
}

/** A request made inside the host: a path and query (its Host header names the origin). */
export interface LocalRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LocalResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

/** Functions caps request bodies at 100 MB; the same limit keeps one request from exhausting memory here. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

function limitedBody(req: IncomingMessage, limit: number): Readable {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    throw payloadTooLarge(limit);
  }
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback): void {
      size += chunk.length;
      if (size > limit) callback(payloadTooLarge(limit));
      else callback(null, chunk);
    },
  });
  // A pipe does not pass errors on: a client that goes away mid-body fails the stream.
  req.on('error', (error) => counted.destroy(error));
  return req.pipe(counted);
}

/**
 * The whole body under the same bound. Past it the socket stays open (the stream stops taking
 * data, nothing destroys the request): the 413, which closes the connection, must reach the client.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitedBody(req, limit)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The host's one HTTP listener: app triggers, the Durable HTTP API and /admin share it, like the Functions host. */
export class HttpServer {
  private readonly router = findMyWay({
    caseSensitive: false,
    ignoreTrailingSlash: true,
    ignoreDuplicateSlashes: true,
    maxParamLength: 2048,
  });
  private readonly server = http.createServer({ keepAlive: true }, (req, res) => this.dispatch(req, res));
  /** Requests being handled now (time skipping waits for them). */
  inFlight = 0;

  constructor(private readonly logger: HostLogger) {
    this.server.keepAliveTimeout = 30_000;
  }

  route(methods: string[], path: string, handler: RouteHandler): void {
    for (const method of methods) {
      // Dispatch finds the route and runs it itself (with the URL it checked), so the router's own handler is unused.
      this.router.on(method.toUpperCase() as HTTPMethod, path, () => undefined, { handler });
    }
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(
          error.code === 'EADDRINUSE'
            ? new StartupError(`Port ${port} on ${host} is in use; stop what runs there or pass --port.`)
            : error,
        );
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Answers a request that comes from inside the host, not over a socket (the durable client of a
   * language worker calling the Durable HTTP API, as the SDK calls the extension): the same
   * routes, handlers and answers, without two sockets and an HTTP parser on each side.
   */
  async handle(request: LocalRequest): Promise<LocalResponse> {
    const options: InjectOptions = {
      method: request.method as InjectOptions['method'],
      url: request.url,
      headers: request.headers,
      ...(request.body === undefined ? {} : { payload: request.body }),
      remoteAddress: '127.0.0.1',
    };
    const response = await new Promise<InjectedResponse>((resolve, reject) => {
      inject(
        (req, res) => this.dispatch(req, res),
        options,
        (error, answer) => {
          if (answer) resolve(answer);
          else reject(error ?? new Error(`${request.method} ${request.url} got no answer.`));
        },
      );
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    return { status: response.statusCode, statusText: response.statusMessage, headers, body: response.payload };
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    try {
      const url = requestUrl(req);
      if (url instanceof HttpProblem) {
        req.resume();
        writeProblem(res, url.status, url.message, url.headers);
        return;
      }
      const path = url.pathname;
      const method = (req.method ?? 'GET').toUpperCase() as HTTPMethod;
      const found = this.router.find(method, path);
      const store = found?.store as { handler?: RouteHandler } | undefined;
      if (found && store?.handler) {
        void this.run(store.handler, req, res, url, found.params);
        return;
      }
      // A route called with a method it does not take is answered 404, not 405: the Functions host
      // does so for function routes, and the Durable extension for its webhooks.
      req.resume();
      writeProblem(res, 404, `No function or route matches ${method} ${path}.`);
    } catch (error) {
      // Nothing a client sends may end the process: an unexpected failure here is answered and logged.
      this.logger.error(
        `${req.method ?? '?'} ${req.url ?? '?'} could not be routed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      req.resume();
      writeProblem(res, 500, 'Something went wrong while routing your request.');
    }
  }

  private async run(
    handler: RouteHandler,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    params: Record<string, string | undefined>,
  ): Promise<void> {
    let bodyRead = false;
    const ctx: RouteContext = {
      req,
      res,
      url,
      params,
      body: () => {
        bodyRead = true;
        return readBody(req, MAX_BODY_BYTES);
      },
      bodyStream: () => {
        bodyRead = true;
        return limitedBody(req, MAX_BODY_BYTES);
      },
    };
    this.inFlight++;
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof HttpProblem) {
        writeProblem(res, error.status, error.message, error.headers);
      } else {
        this.logger.error(
          `${String(req.method)} ${String(req.url)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        writeProblem(res, 500, 'Something went wrong while processing your request.');
      }
    } finally {
      this.inFlight--;
      if (!bodyRead) req.resume();
    }
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ForwardHttpRequest } from '../app/appInvocation';
import type { RpcTypedData, FunctionInvoker } from '../app/invokeFunction';
import { functionErrorLine } from '../app/functionErrors';
import type { RegisteredFunction } from '../app/functionRegistry';
import type { HostLogger } from '../logging/hostLogger';
import type { HttpServer, RouteContext } from './httpServer';
import { HttpProblem, writeProblem } from './problems';
import { compileRoute } from './routeTemplate';
import { forwardToWorker, type ProxyForwarding } from './workerHttpProxy';

interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  cookies?: RpcCookie[];
  body?: { bytes?: Uint8Array; string?: string };
}

interface RpcCookie {
  name: string;
  value: string;
  domain?: { value?: string };
  path?: { value?: string };
  expires?: { value?: { seconds?: number | string; nanos?: number } };
  secure?: { value?: boolean };
  httpOnly?: { value?: boolean };
  sameSite?: string;
  maxAge?: { value?: number };
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function cookieHeader(cookie: RpcCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expires = cookie.expires?.value;
  if (expires?.seconds !== undefined) parts.push(`Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`);
  if (cookie.maxAge?.value !== undefined) parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None' }[cookie.sameSite ?? ''];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function writeResponse(res: ServerResponse, response: RpcHttpResponse | undefined): void {
  if (!response) {
    // The handler set no response: answer an empty success rather than inventing content.
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  const body = response.body?.bytes ? Buffer.from(response.body.bytes) : Buffer.from(response.body?.string ?? '');
  const headers: Record<string, string | string[]> = { ...(response.headers ?? {}) };
  const cookies = (response.cookies ?? []).map(cookieHeader);
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  headers['content-length'] = String(body.length);
  res.writeHead(Number(response.statusCode ?? 200), headers);
  res.end(body);
}

/** What the route of one HTTP function hands the invocation, whichever way the app takes requests. */
interface HttpCall {
  fn: RegisteredFunction;
  ctx: RouteContext;
  params: Record<string, string>;
  requestOrigin: string;
  invoker: FunctionInvoker;
}

/**
 * The request in the invocation and the response in its return value: the app did not ask for
 * streams. The Functions host hands the worker a body only when Content-Length is above zero,
 * whatever the method (a chunked body is not passed on either); @azure/functions up to 4.16.2
 * throws on a GET or HEAD request that carries a body, even an empty one. A chunked body is still
 * read to its end, so one over the size limit is refused (413) rather than left unread.
 */
async function invokeWithRequest({ fn, ctx, params, requestOrigin, invoker }: HttpCall): Promise<void> {
  const { req, res, url, body } = ctx;
  const declared = Number(req.headers['content-length'] ?? 0) > 0;
  if (!declared && req.headers['transfer-encoding'] !== undefined) await body();
  const bytes = declared ? await body() : undefined;
  const trigger: RpcTypedData = {
    http: {
      method: (req.method ?? 'GET').toUpperCase(),
      url: url.toString(),
      headers: headersOf(req),
      query: Object.fromEntries(url.searchParams.entries()),
      params,
      ...(bytes ? { body: { bytes } } : {}),
    },
  };
  const result = await invoker.invoke({ fn, trigger, requestOrigin });
  const returned = result.returnValue as { http?: RpcHttpResponse } | undefined;
  writeResponse(res, returned?.http);
}

/**
 * The request's binding data as the HTTP extension makes it (GetRequestBindingData) and the
 * Functions host sends it as trigger metadata to a worker that takes requests through its proxy:
 * query parameters but `code`, route parameters, then `Query` and `Headers` unless a parameter
 * took those names. The library reads the request's headers and parameters from here.
 */
function requestBindingData(
  url: URL,
  headers: Record<string, string>,
  params: Record<string, string>,
): Record<string, RpcTypedData> {
  const data: Record<string, RpcTypedData> = {};
  for (const [name, value] of url.searchParams) if (name.toLowerCase() !== 'code') data[name] = { string: value };
  for (const [name, value] of Object.entries(params)) data[name] = { string: value };
  const taken = new Set(Object.keys(data).map((name) => name.toLowerCase()));
  if (!taken.has('query')) data.Query = { json: JSON.stringify(Object.fromEntries(url.searchParams)) };
  if (!taken.has('headers')) data.Headers = { json: JSON.stringify(headers) };
  return data;
}

/**
 * The app streams HTTP (`app.setup({ enableHttpStream: true })`): as the Functions host does for a
 * worker that reports HttpUri, the invocation carries an empty request and the binding data, and
 * the request itself (body streamed, whatever its framing) goes to that worker's proxy, whose
 * response, streamed, is the answer. The invocation ends after the response was written.
 */
async function invokeThroughProxy({ fn, ctx, params, requestOrigin, invoker }: HttpCall): Promise<void> {
  const { req, url } = ctx;
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  const body = hasBody ? ctx.bodyStream() : undefined;
  let forwarding: ProxyForwarding | undefined;
  const forwardHttp: ForwardHttpRequest = (httpUri, invocationId) => {
    forwarding = forwardToWorker(httpUri, invocationId, ctx, body);
  };
  const triggerMetadata = requestBindingData(url, headersOf(req), params);
  try {
    // The invocation's outcome decides, as on the Functions host, where it takes in the forwarding's:
    // a worker that exits fails both, and the answer names the exit.
    await invoker.invoke({ fn, trigger: { http: {} }, triggerMetadata, requestOrigin, forwardHttp });
    await forwarding?.done;
  } catch (error) {
    forwarding?.abort();
    // A body over the limit is answered 413, whatever it made the function do.
    throw forwarding?.failure instanceof HttpProblem ? forwarding.failure : error;
  }
}
/**
 * Serves the app's HTTP-triggered functions under the route prefix, the way `func start` does;
 * `functions` are all the listed ones, those in error included. `streams`: the app's workers take
 * HTTP requests through proxies of their own (they reported HttpUri).
 */
export function registerHttpTriggers(
  server: HttpServer,
  functions: RegisteredFunction[],
  routePrefix: string,
  invoker: FunctionInvoker,
  logger: HostLogger,
  streams = false,
): { fn: RegisteredFunction; path: string }[] {
  const table: { fn: RegisteredFunction; path: string }[] = [];
  for (const fn of functions) {
    if (!fn.http) continue;
    const route = compileRoute(routePrefix, fn.http.route);
    table.push({ fn, path: route.path });
    server.route(fn.http.methods, route.path, async (ctx) => {
      const { req, res, url } = ctx;
      // A function that failed indexing keeps its route, as on the Functions host, and cannot run.
      if (fn.error !== undefined) throw new HttpProblem(500, functionErrorLine(fn.name, fn.error));
      const params = route.rename(ctx.params);
      if (!route.accepts(params))
        throw new HttpProblem(404, `No function or route matches ${String(req.method)} ${url.pathname}.`);
      const call = { fn, ctx, params, requestOrigin: `http://${req.headers.host ?? 'localhost'}`, invoker };
      try {
        await (streams ? invokeThroughProxy(call) : invokeWithRequest(call));
      } catch (error) {
        // The body's own limit (413) is answered as for any route.
        if (error instanceof HttpProblem) throw error;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        logger.error(`Executed 'Functions.${fn.name}' (Failed): ${message}`);
        // A streamed answer already under way is cut short, not ended as if it were whole.
        if (res.headersSent) res.destroy();
        else
          writeProblem(
            res,
            500,
            `Function '${fn.name}' failed: ${error instanceof Error ? error.message : String(error)}`,
          );
      }
    });
  }
  return table;
}

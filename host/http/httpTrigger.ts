import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcTypedData, FunctionInvoker } from '../app/invokeFunction';
import { functionErrorLine } from '../app/functionErrors';
import type { RegisteredFunction } from '../app/functionRegistry';
import type { HostLogger } from '../logging/hostLogger';
import type { HttpServer } from './httpServer';
import { HttpProblem, writeProblem } from './problems';
import { compileRoute } from './routeTemplate';

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

/**
 * Serves the app's HTTP-triggered functions under the route prefix, the way `func start` does;
 * `functions` are all the listed ones, those in error included.
 */
export function registerHttpTriggers(
  server: HttpServer,
  functions: RegisteredFunction[],
  routePrefix: string,
  invoker: FunctionInvoker,
  logger: HostLogger,
): { fn: RegisteredFunction; path: string }[] {
  const table: { fn: RegisteredFunction; path: string }[] = [];
  for (const fn of functions) {
    if (!fn.http) continue;
    const route = compileRoute(routePrefix, fn.http.route);
    table.push({ fn, path: route.path });
    server.route(fn.http.methods, route.path, async ({ req, res, url, params, body }) => {
      // A function that failed indexing keeps its route, as on the Functions host, and cannot run.
      if (fn.error !== undefined) throw new HttpProblem(500, functionErrorLine(fn.name, fn.error));
      const named = route.rename(params);
      if (!route.accepts(named))
        throw new HttpProblem(404, `No function or route matches ${String(req.method)} ${url.pathname}.`);
      const method = (req.method ?? 'GET').toUpperCase();
      // The Functions host hands the worker a body only when Content-Length is above zero, whatever
      // the method (a chunked body is not passed on either); @azure/functions up to 4.16.2 throws on
      // a GET or HEAD request that carries a body, even an empty one. A chunked body is still read
      // to its end, so one over the size limit is refused (413) rather than left unread.
      const declared = Number(req.headers['content-length'] ?? 0) > 0;
      if (!declared && req.headers['transfer-encoding'] !== undefined) await body();
      const bytes = declared ? await body() : undefined;
      const requestOrigin = `http://${req.headers.host ?? 'localhost'}`;
      const trigger: RpcTypedData = {
        http: {
          method,
          url: url.toString(),
          headers: headersOf(req),
          query: Object.fromEntries(url.searchParams.entries()),
          params: named,
          ...(bytes ? { body: { bytes } } : {}),
        },
      };
      try {
        const result = await invoker.invoke({ fn, trigger, requestOrigin });
        const returned = result.returnValue as { http?: RpcHttpResponse } | undefined;
        writeResponse(res, returned?.http);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        logger.error(`Executed 'Functions.${fn.name}' (Failed): ${message}`);
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

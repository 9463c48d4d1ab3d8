import type { IncomingMessage } from 'node:http';
import { badRequest, type HttpProblem } from './problems';

// The request's URL is built from its Host header and target, both sent by the client. Building
// it must never throw (a TypeError outside a handler's try ended the process), and a URL the
// app's HttpRequest cannot hold (credentials, spaces) must be refused before any function runs.

/** A registered name, IPv4 or bracketed IPv6 literal, then an optional port: what Kestrel accepts, minus userinfo. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/;

/** Why this Host header cannot name the server, or undefined when it can. */
export function hostHeaderProblem(host: string | undefined): string | undefined {
  // HTTP/1.0 may leave the header out (Node refuses a missing Host for HTTP/1.1 itself).
  if (host === undefined) return undefined;
  const shown = JSON.stringify(host.slice(0, 100));
  if (host === '') return 'The Host header is empty; it must name the server, such as localhost:7071.';
  const match = HOST.exec(host);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535))
    return `The Host header ${shown} is not a host name with an optional port, such as localhost:7071.`;
  try {
    new URL(`http://${host}/`);
  } catch {
    return `The Host header ${shown} is not a host name with an optional port, such as localhost:7071.`;
  }
  return undefined;
}

/** The absolute URL of the request, or the 400 that says why there is none. */
export function requestUrl(req: Pick<IncomingMessage, 'url' | 'headers'>): URL | HttpProblem {
  const host = req.headers.host;
  const problem = hostHeaderProblem(host);
  if (problem) return badRequest(problem);
  const target = req.url ?? '/';
  let pathAndQuery = target;
  if (!target.startsWith('/')) {
    // Absolute form (GET http://host/path HTTP/1.1) is allowed by HTTP/1.1; its path is what counts.
    try {
      const absolute = new URL(target);
      if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') throw new TypeError(absolute.protocol);
      pathAndQuery = `${absolute.pathname}${absolute.search}`;
    } catch {
      return badRequest(`The request target ${JSON.stringify(target.slice(0, 100))} is neither a path nor a URL.`);
    }
  }
  const url = new URL(`http://${host ?? 'localhost'}`);
  const queryAt = pathAndQuery.indexOf('?');
  // Setting the parts keeps a path such as //evil.example/x a path instead of an authority.
  url.pathname = queryAt < 0 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  if (queryAt >= 0) url.search = pathAndQuery.slice(queryAt);
  return url;
}

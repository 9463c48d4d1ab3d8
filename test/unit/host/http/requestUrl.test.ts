import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../../../host/http/problems';
import { hostHeaderProblem, requestUrl } from '../../../../host/http/requestUrl';

// Only the request line and headers matter here; the rest of IncomingMessage is a socket's.
const request = (url: string, host: string | undefined): Pick<IncomingMessage, 'url' | 'headers'> => ({
  url,
  headers: host === undefined ? {} : { host },
});

describe('hostHeaderProblem', () => {
  it.each(['localhost', 'localhost:7071', '127.0.0.1:7071', '[::1]:7071', 'my-app.azurewebsites.net', 'a_b.local'])(
    'accepts %s',
    (host) => expect(hostHeaderProblem(host)).toBeUndefined(),
  );

  it.each(['a b', '[', '%', 'x:abc', '', 'a@b:c@d', 'user@host', 'localhost:65536', 'host:', 'a/b', 'é'])(
    'refuses %j, saying what a Host header must be',
    (host) => expect(hostHeaderProblem(host)).toMatch(/^The Host header .*(empty|not a host name)/),
  );

  it('accepts a missing Host (HTTP/1.0), which the URL then names localhost', () => {
    expect(hostHeaderProblem(undefined)).toBeUndefined();
    expect(String(requestUrl(request('/x', undefined)))).toBe('http://localhost/x');
  });
});

describe('requestUrl', () => {
  it('builds the URL from the Host header and the path with its query', () => {
    const url = requestUrl(request('/api/orders/1?a=b&c=%2B1', 'localhost:7071'));
    expect(url).toBeInstanceOf(URL);
    expect(String(url)).toBe('http://localhost:7071/api/orders/1?a=b&c=%2B1');
  });

  it('keeps a path that starts with // a path instead of reading it as a host', () => {
    const url = requestUrl(request('//evil.example/x', 'localhost:7071')) as URL;
    expect(url.host).toBe('localhost:7071');
    expect(url.pathname).toBe('//evil.example/x');
  });

  it('takes the path of an absolute-form target and refuses targets that are neither', () => {
    expect((requestUrl(request('http://elsewhere/api/x?y=1', 'localhost')) as URL).toString()).toBe(
      'http://localhost/api/x?y=1',
    );
    for (const target of ['*', 'api/orders', 'ftp://x/y']) {
      const problem = requestUrl(request(target, 'localhost'));
      expect(problem).toBeInstanceOf(HttpProblem);
      expect((problem as HttpProblem).status).toBe(400);
    }
  });
});

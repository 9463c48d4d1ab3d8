import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus } from '../../support/hostProcess';

// An app that calls app.setup({ enableHttpStream: true }) is served as the Functions host serves
// it: each language worker reports the HttpUri of its own HTTP proxy, and every HTTP request goes
// there, bodies streamed both ways. The same app with streams off is served as before.
const APP = path.resolve(__dirname, '../../fixtures/apps/httpStream');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over node:http, which sends a body chunked when it has no length, as a stream would. */
function request(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Readable | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    // A server that answers before the body is all sent (413) may close while it is still being written.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

/** `total` bytes in chunks of 64 KiB, made as they are read. */
function upload(total: number): Readable {
  let left = total;
  return new Readable({
    read() {
      const size = Math.min(left, 64 * 1024);
      left -= size;
      this.push(size === 0 ? null : Buffer.alloc(size, 'x'));
    },
  });
}

const MB = 1024 * 1024;

describe('an app that streams HTTP', () => {
  let stack: HostOnAzurite;
  const url = (p: string): string => `${stack.host.url}/api/${p}`;

  beforeAll(async () => {
    stack = await startHostOnAzurite(APP);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sends the first chunk of a response before the function has made the last', async () => {
    const first = await new Promise<{ text: string; rest: Promise<string>; headers: http.IncomingHttpHeaders }>(
      (resolve, reject) => {
        http
          .get(url('stream/gated'), (res) => {
            let all = '';
            const rest = new Promise<string>((done) => res.on('end', () => done(all)));
            res.once('data', (chunk: Buffer) => {
              all += chunk.toString();
              res.on('data', (more: Buffer) => (all += more.toString()));
              resolve({ text: chunk.toString(), rest, headers: res.headers });
            });
          })
          .on('error', reject);
      },
    );
    // The function is still waiting for the release: what came is what it has sent so far.
    expect(first.text).toBe('first chunk\n');
    expect(first.headers['transfer-encoding']).toBe('chunked');
    expect(first.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await request(url('stream/release'), { method: 'POST' })).status).toBe(204);
    expect(await first.rest).toBe('first chunk\nlast chunk\n');
  });

  it('answers with the status, headers, cookies and every chunk the function returns', async () => {
    const answer = await request(url('stream/chunks/500'));
    expect(answer.status).toBe(207);
    expect(answer.headers['x-chunks']).toBe('500');
    expect(answer.headers['set-cookie']).toEqual(['seen=yes; Path=/; HttpOnly']);
    const lines = answer.body.trimEnd().split('\n');
    expect(lines).toHaveLength(500);
    expect(lines.at(-1)).toBe('chunk 500');
    // The worker's proxy names the invocation it answered, and the host passes that on.
    expect(answer.headers['x-ms-invocation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams a 5 MB upload to the function, which reads it as it comes', async () => {
    const answer = await request(url('upload'), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: upload(5 * MB),
    });
    expect(answer.status).toBe(200);
    const counted = JSON.parse(answer.body) as { bytes: number; chunks: number; contentType: string };
    expect(counted.bytes).toBe(5 * MB);
    expect(counted.chunks).toBeGreaterThan(1);
    expect(counted.contentType).toBe('application/octet-stream');
  });

  it('passes a body with a Content-Length as well', async () => {
    const answer = await request(url('upload'), { method: 'PUT', body: Buffer.alloc(MB, 'y') });
    expect(JSON.parse(answer.body)).toMatchObject({ bytes: MB });
  });

  it('gives the function the URL, route parameters, query and headers of the request', async () => {
    const answer = await request(url('echo/ada/more?x=1&y=two'), {
      method: 'POST',
      headers: { 'x-greeting': 'hi', 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ n: 42 })),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    const seen = JSON.parse(answer.body) as Record<string, unknown>;
    expect(seen).toMatchObject({
      method: 'POST',
      url: `${url('echo/ada/more')}?x=1&y=two`,
      query: { x: '1', y: 'two' },
      greeting: 'hi',
      body: { n: 42 },
    });
    // As on the Functions host, the binding data the library reads parameters from also holds the query's.
    expect(seen.params).toMatchObject({ name: 'ada', rest: 'more' });
    expect(answer.headers['x-ms-invocation-id']).toBe(seen.invocationId);
  });

  it('answers 404 for a path no function serves, before any function runs', async () => {
    expect((await request(url('nowhere'))).status).toBe(404);
    expect((await request(url('stream/chunks/many'))).status).toBe(404);
  });

  it('answers 500 when the function throws, and logs it', async () => {
    const answer = await request(url('fails'));
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({ Message: "Function 'fails' failed: the handler gave up" });
    expect(stack.host.output()).toContain("Executed 'Functions.fails' (Failed)");
    // A failure with a body still on its way leaves the connection to serve the next request.
    expect((await request(url('fails'), { method: 'POST', body: upload(MB) })).status).toBe(500);
  });

  it('refuses a body over 100 MB with 413, declared or streamed, and keeps serving', async () => {
    const declared = await request(url('upload'), {
      method: 'POST',
      // Refused on its headers: no byte of the body needs sending.
      headers: { 'content-length': String(100 * MB + 1) },
    });
    expect(declared.status).toBe(413);
    expect(declared.headers.connection).toBe('close');
    const streamed = await request(url('upload'), { method: 'POST', body: upload(100 * MB + 1) });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toEqual({ Message: `The request body is larger than ${100 * MB} bytes.` });
    expect((await request(url('stream/chunks/1'))).status).toBe(207);
  });

  it('starts an orchestration with the durable client and answers its status URLs', async () => {
    const answer = await request(url('orchestrators/greet'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify('streams')),
    });
    expect(answer.status).toBe(202);
    const urls = JSON.parse(answer.body) as { id: string; statusQueryGetUri: string };
    expect(answer.headers.location).toBe(urls.statusQueryGetUri);
    expect(urls.statusQueryGetUri).toContain(`/runtime/webhooks/durabletask/instances/${urls.id}`);
    expect(await waitForStatus(urls.statusQueryGetUri)).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'Hello, streams!',
    });
  });

  it('answers 500 when the worker ends mid-request, and serves the next one from a fresh worker', async () => {
    const answer = await request(url('crash'), { method: 'POST' });
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({ Message: "Function 'crash' failed: node exited with code 1 (0x1)" });
    // The restarted worker reports a proxy of its own, and requests go there.
    expect((await request(url('stream/chunks/3'))).body).toBe('chunk 1\nchunk 2\nchunk 3\n');
  });
});

describe('an app that streams HTTP on two language workers', () => {
  let stack: HostOnAzurite;

  beforeAll(async () => {
    stack = await startHostOnAzurite(APP, { FUNCTIONS_WORKER_PROCESS_COUNT: '2' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('forwards each request to the proxy of the worker that runs its invocation', async () => {
    // Round-robin over both workers: a request sent to the other worker's proxy would never be answered.
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => request(`${stack.host.url}/api/echo/w${i}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const answer of answers)
      expect(answer.headers['x-ms-invocation-id']).toBe(
        (JSON.parse(answer.body) as { invocationId: string }).invocationId,
      );
  });
});

describe('the same app with streams off', () => {
  let stack: HostOnAzurite;
  const url = (p: string): string => `${stack.host.url}/api/${p}`;

  beforeAll(async () => {
    stack = await startHostOnAzurite(APP, { FIXTURE_HTTP_STREAM: 'false' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers as before: the whole body with its Content-Length, through the invocation', async () => {
    const answer = await request(url('stream/chunks/3'));
    expect(answer.status).toBe(207);
    expect(answer.headers['content-length']).toBe(String('chunk 1\n'.length * 3));
    expect(answer.headers['transfer-encoding']).toBeUndefined();
    expect(answer.headers['x-ms-invocation-id']).toBeUndefined();
    expect(answer.body).toBe('chunk 1\nchunk 2\nchunk 3\n');
  });

  it('passes a body only when its Content-Length is above zero: a chunked one is not passed on', async () => {
    const sized = await request(url('upload'), { method: 'POST', body: Buffer.alloc(1000) });
    expect(JSON.parse(sized.body)).toMatchObject({ bytes: 1000 });
    const chunked = await request(url('upload'), { method: 'POST', body: upload(1000) });
    expect(JSON.parse(chunked.body)).toMatchObject({ bytes: 0 });
  });

  it('gives the function the same request and the same 500 when it throws', async () => {
    const seen = JSON.parse(
      (
        await request(url('echo/ada?x=1'), {
          method: 'POST',
          headers: { 'x-greeting': 'hi' },
          body: Buffer.from('{"n":1}'),
        })
      ).body,
    ) as Record<string, unknown>;
    expect(seen).toMatchObject({ method: 'POST', params: { name: 'ada' }, query: { x: '1' }, greeting: 'hi' });
    expect((await request(url('fails'))).status).toBe(500);
  });
});

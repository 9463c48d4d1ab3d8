import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { sendRaw, type RawResponse } from '../../support/rawHttp';

// Requests a hostile or broken client can send, byte for byte. Each once ended the host process
// or got a 5xx; each must get a 4xx that says what is wrong, and the host must keep serving.
const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let setup: HostOnAzurite;
let origin: string;

beforeAll(async () => {
  setup = await startHostOnAzurite(APP);
  origin = setup.host.url;
});

afterAll(async () => {
  await setup?.stop();
});

const get = (target: string, headers: [string, string][] = [['Host', 'localhost']]): Promise<RawResponse> =>
  sendRaw(origin, { method: 'GET', target, headers });

async function expectHostServes(): Promise<void> {
  expect(setup.host.child.exitCode).toBeNull();
  expect((await get('/runtime/webhooks/durabletask/instances')).status).toBe(200);
}

describe('a Host header that names no server', () => {
  for (const host of ['a b', '[', '%', 'x:abc', '', 'a@b:c@d', 'localhost:99999', 'exa mple.com:80']) {
    it(`answers 400 with a message for Host ${JSON.stringify(host)} and keeps running`, async () => {
      for (const target of ['/api/client/all', '/runtime/webhooks/durabletask/instances', '/no/such/route']) {
        const response = await get(target, [['Host', host]]);
        expect({ target, status: response.status }).toEqual({ target, status: 400 });
        expect(JSON.parse(response.body)).toEqual({ Message: expect.stringContaining('Host header') });
      }
      await expectHostServes();
    });
  }

  it('still serves a bracketed IPv6 host and a host without a port', async () => {
    expect((await get('/runtime/webhooks/durabletask/instances', [['Host', '[::1]:7071']])).status).toBe(200);
    expect((await get('/runtime/webhooks/durabletask/instances', [['Host', 'example.com']])).status).toBe(200);
  });
});

describe('request targets that are not paths', () => {
  it('answers 400 for a target that is neither a path nor a URL, and routes an absolute URL by its path', async () => {
    const weird = await get('a b', [['Host', 'localhost']]).catch(() => undefined);
    // Node's parser may refuse this itself (its empty 400 is acceptable); it must never reach a handler as a crash.
    if (weird) expect(weird.status).toBe(400);
    expect((await get('*', [['Host', 'localhost']])).status).toBe(400);
    expect((await get('http://localhost/runtime/webhooks/durabletask/instances', [['Host', 'localhost']])).status).toBe(
      200,
    );
    await expectHostServes();
  });

  it('keeps a path that starts with // a path', async () => {
    const response = await get('//evil.example/runtime/webhooks/durabletask/instances');
    expect(response.status).toBe(404);
    await expectHostServes();
  });
});

describe('the Durable HTTP API with values it cannot use', () => {
  for (const token of [
    'garbage',
    'e30',
    Buffer.from(Buffer.from('{"nextPartitionKey":5}').toString('base64')).toString('base64url'),
  ]) {
    it(`answers 400 for the continuation token ${JSON.stringify(token)}`, async () => {
      for (const target of [
        '/runtime/webhooks/durabletask/instances',
        '/runtime/webhooks/durabletask/entities/counter',
      ]) {
        const response = await get(target, [
          ['Host', 'localhost'],
          ['x-ms-continuation-token', token],
        ]);
        expect({ target, status: response.status }).toEqual({ target, status: 400 });
        expect(JSON.parse(response.body)).toEqual({ Message: expect.stringContaining('continuation token') });
      }
    });
  }

  it('answers 400 for dates outside the years 1 to 9999', async () => {
    for (const date of ['%2B275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '%2B010000-01-01T00:00:00Z']) {
      const list = await get(`/runtime/webhooks/durabletask/instances?createdTimeFrom=${date}`);
      expect({ date, status: list.status }).toEqual({ date, status: 400 });
      expect(JSON.parse(list.body)).toEqual({ Message: expect.stringContaining('between the years 1 and 9999') });
      const purge = await sendRaw(origin, {
        method: 'DELETE',
        target: `/runtime/webhooks/durabletask/instances?createdTimeFrom=2020-01-01T00:00:00Z&createdTimeTo=${date}`,
        headers: [['Host', 'localhost']],
      });
      expect({ date, status: purge.status }).toEqual({ date, status: 400 });
    }
  });

  it('pages with more than the 1,000 rows table storage allows in one page', async () => {
    const response = await get('/runtime/webhooks/durabletask/instances?top=1000000');
    expect(response.status).toBe(200);
  });
});

describe('a start with a bad wait mode', () => {
  it('answers 400 and starts nothing', async () => {
    const count = async (): Promise<number> =>
      (JSON.parse((await get('/runtime/webhooks/durabletask/instances?top=1000')).body) as unknown[]).length;
    const before = await count();
    for (const query of ['timeout=abc', 'timeout=5&pollingInterval=-1']) {
      const response = await sendRaw(origin, {
        method: 'POST',
        target: `/runtime/webhooks/durabletask/orchestrators/sequence/wait-mode-${query.length}?${query}`,
        headers: [
          ['Host', 'localhost'],
          ['Content-Type', 'application/json'],
          ['Content-Length', '2'],
        ],
        body: '[]',
      });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
    expect(await count()).toBe(before);
  });
});

describe('ids the store or a header cannot hold', () => {
  const post = (target: string, body: string): Promise<RawResponse> =>
    sendRaw(origin, {
      method: 'POST',
      target,
      headers: [
        ['Host', 'localhost'],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ],
      body,
    });

  it('starts an instance whose id is not Latin-1 and answers with percent-encoded status URLs', async () => {
    const id = '😀-é-ok';
    const response = await post(`/runtime/webhooks/durabletask/orchestrators/sequence/${encodeURIComponent(id)}`, '[]');
    expect(response.status).toBe(202);
    expect(response.headers.location).toContain(`/instances/${encodeURIComponent(id)}?`);
    const status = await get(new URL(response.headers.location).pathname);
    expect(JSON.parse(status.body)).toMatchObject({ instanceId: id });
  });

  it('answers 400 for an instance id or entity key too long to be stored once escaped', async () => {
    const start = await post(`/runtime/webhooks/durabletask/orchestrators/sequence/${'%5E'.repeat(256)}`, '[]');
    expect(start.status).toBe(400);
    expect(JSON.parse(start.body)).toEqual({ Message: expect.stringContaining('too long to be stored') });
    for (const method of ['POST', 'DELETE', 'GET']) {
      const response = await sendRaw(origin, {
        method,
        target: `/runtime/webhooks/durabletask/entities/counter/${'k'.repeat(500)}?op=add`,
        headers: [['Host', 'localhost']],
      });
      expect({ method, status: response.status }).toEqual({ method, status: 400 });
    }
    await expectHostServes();
  });
});

describe('a body larger than the host takes', () => {
  it('answers 413 with a message on the same connection, whether the size is declared or streamed in chunks', async () => {
    const declared = await sendRaw(origin, {
      method: 'POST',
      target: '/api/start/sequence',
      headers: [
        ['Host', 'localhost'],
        ['Content-Length', String(200 * 1024 * 1024)],
      ],
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({ Message: expect.stringContaining('larger than') });

    // 101 MB in chunks, with no length announced: the host finds out while reading.
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(origin).port) });
      let received = '';
      let stop = false;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        stop = true;
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const match = /^HTTP\/1\.1 (\d{3})[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(received);
        if (match) resolve({ status: Number(match[1]), body: match[2] });
        else reject(new Error(`the connection closed without an answer (${received.length} bytes)`));
      });
      socket.write('POST /api/start/sequence HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n');
      const megabyte = Buffer.alloc(1024 * 1024, 'x');
      const chunk = Buffer.concat([Buffer.from(`${megabyte.length.toString(16)}\r\n`), megabyte, Buffer.from('\r\n')]);
      let sent = 0;
      const pump = (): void => {
        while (!stop && sent < 101) {
          sent++;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ Message: expect.stringContaining('larger than') });
    await expectHostServes();
  });
});

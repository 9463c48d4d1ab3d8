import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../support/hostProcess';

// callHttp against a real HTTP server of ours that answers with the 202 + Location pattern.
const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let setup: HostOnAzurite;
let host: HostProcess;
let jobServer: http.Server;
let jobUrl: string;
let statusPolls = 0;

beforeAll(async () => {
  jobServer = http.createServer((req, res) => {
    if (req.url === '/job') {
      res.writeHead(202, { Location: `${jobUrl}/status`, 'Retry-After': '1' });
      res.end();
    } else if (req.url === '/job/status') {
      statusPolls++;
      if (statusPolls < 2) {
        res.writeHead(202, { Location: `${jobUrl}/status`, 'Retry-After': '1' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ done: true }));
      }
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => jobServer.listen(0, '127.0.0.1', () => resolve()));
  jobUrl = `http://127.0.0.1:${(jobServer.address() as AddressInfo).port}/job`;
  setup = await startHostOnAzurite(APP);
  host = setup.host;
});

afterAll(async () => {
  await setup?.stop();
  await new Promise((resolve) => jobServer.close(resolve));
});

const api = (p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;

describe('callHttp', () => {
  it('follows 202 + Location with timers until the answer is final', async () => {
    await fetch(api('orchestrators/httpCall/http-poll'), {
      method: 'POST',
      body: JSON.stringify({ url: jobUrl, polling: true }),
    });
    const done = await waitForStatus(api('instances/http-poll'));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { statusCode: 200, content: '{"done":true}' } });
    const history = (await (await fetch(api('instances/http-poll?showHistory=true'))).json()) as {
      historyEvents: { EventType: string; FunctionName?: string }[];
    };
    const calls = history.historyEvents.filter((e) => e.EventType === 'TaskCompleted').map((e) => e.FunctionName);
    expect(calls).toEqual(['BuiltIn::HttpActivity', 'BuiltIn::HttpActivity', 'BuiltIn::HttpActivity']);
    expect(history.historyEvents.filter((e) => e.EventType === 'TimerFired')).toHaveLength(2);
  });

  it('returns the 202 itself when polling is off', async () => {
    await fetch(api('orchestrators/httpCall/http-no-poll'), {
      method: 'POST',
      body: JSON.stringify({ url: jobUrl, polling: false }),
    });
    expect(await waitForStatus(api('instances/http-no-poll'))).toMatchObject({
      runtimeStatus: 'Completed',
      output: { statusCode: 202 },
    });
  });

  it('fails the task when the server cannot be reached', async () => {
    await fetch(api('orchestrators/httpCall/http-refused'), {
      method: 'POST',
      body: JSON.stringify({ url: 'http://127.0.0.1:1/nothing', polling: true }),
    });
    const failed = await waitForStatus(api('instances/http-refused'));
    expect(failed.runtimeStatus).toBe('Failed');
    expect(String(failed.output)).toContain("Activity function 'BuiltIn::HttpActivity' failed");
  });
});

/**
 * One small app, installed with each library version pair below, run unchanged on the host: real
 * apps pin old versions, and each `@azure/functions` copy meets the host only through the
 * `@azure/functions-core` module the host provides, so each one that converts requests, responses
 * or invocations differently is a different client of the host.
 *
 * durable-functions: every 3.x minor (3.3 by its last patch, 3.3.1; there is no 3.4), each with the
 * newest @azure/functions and with the oldest it accepts (^4.0.0 up to 3.3, ^4.14.0 for 3.5).
 *
 * @azure/functions: the oldest (4.0.0) and newest (4.16.5), and each minor whose source changed how
 * the worker drives it (read from the library's sources: InvocationModel, converters, http, setup):
 *   4.1.0  invocation hooks; the handler gets every input, not only the first
 *   4.2.0  request and response rebuilt (clone()); an input the function's bindings do not name throws
 *   4.3.0  ProgrammingModel class with getCapabilities, app.setup, HTTP streaming
 *   4.5.0  capabilities from app.setup, log hooks
 *   4.9.0  model binding data (SDK types) in input conversion, through @azure/functions-extensions-base
 *   4.11.0 the request is Node's own Request instead of undici's
 *   4.16.2 the last that throws on a GET with a body, as every version before it does (4.16.4 leaves
 *          the body out for GET/HEAD): the host must send none
 * Each is paired with the newest durable-functions that accepts it (3.3.1 below 4.14, else 3.5.0),
 * the pair an app of that time would pin. One more pair pins the oldest @azure/functions next to the
 * newest durable-functions, which then brings its own 4.x copy: two copies register in one app.
 * Minors left out: 4.4 and 4.7 changed HTTP streaming only (test/integration/host/httpStreams.test.ts
 * serves the app's own copy); 4.6 reads
 * route parameters from their string form (4.5 and 4.9 sit either side); 4.12 fixed request.clone()
 * and typings; 4.8, 4.10 and 4.15 changed none of those sources, 4.13 and 4.14 only for MCP
 * triggers, which this host does not serve.
 *
 * Installs go to test-results/version-matrix/ and are reused while the versions match.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAppWithVersions, versionsLabel, type AppVersions } from '../../support/appVersions';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';

const FIXTURE = path.resolve(__dirname, '../../fixtures/apps/versionMatrix');

const COMBINATIONS: AppVersions[] = [
  // durable-functions minors, newest and oldest @azure/functions each
  { functions: '4.16.5', durable: '3.5.0' },
  { functions: '4.14.0', durable: '3.5.0' },
  { functions: '4.16.5', durable: '3.3.1' },
  { functions: '4.0.0', durable: '3.3.1' },
  { functions: '4.16.5', durable: '3.2.0' },
  { functions: '4.0.0', durable: '3.2.0' },
  { functions: '4.16.5', durable: '3.1.0' },
  { functions: '4.0.0', durable: '3.1.0' },
  { functions: '4.16.5', durable: '3.0.0' },
  { functions: '4.0.0', durable: '3.0.0' },
  // @azure/functions minors that changed the worker contract
  { functions: '4.1.0', durable: '3.3.1' },
  { functions: '4.2.0', durable: '3.3.1' },
  { functions: '4.3.0', durable: '3.3.1' },
  { functions: '4.5.0', durable: '3.3.1' },
  { functions: '4.9.0', durable: '3.3.1' },
  { functions: '4.11.0', durable: '3.3.1' },
  { functions: '4.16.2', durable: '3.5.0' },
  // two copies: the app's 4.0.0 and durable-functions' own 4.x
  { functions: '4.0.0', durable: '3.5.0' },
];

// npm waits on the network more than on the CPU: a few installs at once, all started before the
// first host, so later pairs install while earlier ones run.
const PARALLEL_INSTALLS = 3;
const installs = new Map<AppVersions, Promise<string>>();

function inSlots(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

let azurite: RunningAzurite;

beforeAll(async () => {
  const slot = inSlots(PARALLEL_INSTALLS);
  for (const versions of COMBINATIONS) {
    const install = slot(() => installAppWithVersions(FIXTURE, versions));
    // Each pair awaits its own install; this only keeps one that fails from being an unhandled rejection.
    install.catch(() => undefined);
    installs.set(versions, install);
  }
  azurite = await startTestAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

for (const versions of COMBINATIONS)
  describe(`an app on ${versionsLabel(versions)}`, () => {
    let host: HostProcess;
    const api = (p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;

    beforeAll(async () => {
      const appDir = await installs.get(versions);
      if (!appDir) throw new Error(`no install started for ${versionsLabel(versions)}`);
      // One Azurite for the file: each pair keeps its instances and entities in a task hub of its own.
      const hub = `Matrix${versions.functions}x${versions.durable}`.replace(/\./g, '');
      host = await startHostProcess(appDir, { AzureWebJobsStorage: azurite.connectionString, VERSION_MATRIX_HUB: hub });
    }, 240_000);

    afterAll(async () => {
      await host?.stop();
    });

    // Up to 4.16.2 the library builds a WHATWG Request from what the host sends, and one with a
    // body (even an empty one) on a GET throws before the handler runs: the host must send none.
    it('answers a GET with route parameters and a query, running on the versions it pins', async () => {
      const response = await fetch(`${host.url}/api/greetings/Ada?end=!`);
      expect(response.status, host.output()).toBe(200);
      expect(await response.json()).toEqual({
        greeting: 'Hello, Ada!',
        libraries: { '@azure/functions': versions.functions, 'durable-functions': versions.durable },
      });
    });

    it('answers a POST with the JSON body it was sent', async () => {
      const response = await fetch(`${host.url}/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [1, 2], note: 'ü' }),
      });
      expect(response.status, host.output()).toBe(201);
      expect(await response.json()).toEqual({ received: { items: [1, 2], note: 'ü' } });
    });

    it('runs an orchestration from an HTTP starter: activity, entity signal and call, durable timer', async () => {
      const started = await fetch(`${host.url}/api/journeys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada' }),
      });
      expect(started.status, host.output()).toBe(202);
      const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
      const status = await waitForStatus(`${statusQueryGetUri}&showHistory=true`);
      expect(status, host.output()).toMatchObject({
        runtimeStatus: 'Completed',
        output: { greeting: 'Hello, Ada', total: 5 },
      });
      const events = (status.historyEvents as { EventType: string; FunctionName?: string }[]).map((e) =>
        e.FunctionName ? `${e.EventType} ${e.FunctionName}` : e.EventType,
      );
      expect(events).toEqual(expect.arrayContaining(['TaskCompleted greet', 'TimerFired']));
      // The signal and the call reached the entity in the order they were sent: 0 + 2 + 3.
      const entity = await fetch(api('entities/tally/Ada'));
      expect(await entity.json()).toBe(5);
    });

    it('runs the timer trigger at startup, which starts an orchestration through the durable client', async () => {
      const status = await waitForStatus(api('instances/at-startup'), (s) => s.runtimeStatus === 'Completed');
      expect(status).toMatchObject({ output: { greeting: 'Hello, startup', total: 5 } });
    });
  });

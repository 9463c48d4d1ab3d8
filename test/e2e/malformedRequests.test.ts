import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCosmosSettings } from '../../src/services/cosmosClient';
import { seedDemoData } from '../../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { startHostProcess, waitForStatus, type HostProcess } from '../support/hostProcess';
import { malformedRequest } from '../support/malformedRequests';
import { orderExample } from '../support/orderExamples';
import { sendRaw, type RawRequest, type RawResponse } from '../support/rawHttp';

// The standard for every route of the app and the host: malformed input (headers, query values,
// bodies, ids, methods, sizes, encodings) gets a 4xx whose body says what is wrong. Never a 5xx,
// never a dropped connection or a dead host, never a started saga. Generated from a printed seed;
// replay a run with FUZZ_SEED=<seed> (FUZZ_RUNS sets the number of batches).
const ROOT = path.resolve(__dirname, '../..');
const BATCH = 40;
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const SEED =
  process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED);
/** One valid order every this many batches, sent among the malformed ones. */
const CONTROL_EVERY = 25;

let azurite: RunningAzurite;
let cosmosServer: CosmosTestServer;
let host: HostProcess;

beforeAll(async () => {
  azurite = await startTestAzurite();
  cosmosServer = await startCosmosServer();
  const settings = {
    COSMOS_ENDPOINT: cosmosServer.endpoint,
    COSMOS_KEY: cosmosServer.key,
    COSMOS_DATABASE: 'saga-fuzz',
  };
  await seedDemoData({ settings: readCosmosSettings(settings) });
  host = await startHostProcess(ROOT, { ...settings, AzureWebJobsStorage: azurite.connectionString });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  await cosmosServer?.stop();
});

/** What is wrong with this answer to a malformed request, or undefined when it is acceptable. */
function problemWith(request: RawRequest, response: RawResponse): string | undefined {
  if (response.status >= 500) return `answered ${response.status}: ${response.body.slice(0, 300)}`;
  if (response.status < 400 || request.method.toUpperCase() === 'HEAD') return undefined;
  // Node's own answers to HTTP it cannot parse (400) or headers too large (431) are empty.
  const nodeOwn = [400, 431].includes(response.status) && response.headers['content-type'] === undefined;
  if (response.body.trim() === '' && !nodeOwn) return `answered ${response.status} without saying what is wrong`;
  return undefined;
}

function describeRequest(request: RawRequest): string {
  const body = request.body === undefined ? '' : Buffer.from(request.body).toString('utf8');
  return JSON.stringify({
    method: request.method,
    target: request.target.slice(0, 200),
    headers: request.headers.map(([n, v]) => [n, v.slice(0, 100)]),
    body: body.slice(0, 200),
  });
}

async function listInstanceIds(): Promise<string[]> {
  const ids: string[] = [];
  let token: string | null = null;
  do {
    const response: Response = await fetch(`${host.url}/runtime/webhooks/durabletask/instances?top=1000`, {
      headers: token ? { 'x-ms-continuation-token': token } : {},
    });
    expect(response.status).toBe(200);
    ids.push(...((await response.json()) as { instanceId: string }[]).map((i) => i.instanceId));
    token = response.headers.get('x-ms-continuation-token');
  } while (token);
  return ids;
}

describe('malformed requests to every route of the app and the host', () => {
  it(`answer 4xx with a message: no 5xx, no crash, no started saga (${BATCH * RUNS} generated requests)`, async () => {
    console.log(`malformed-request fuzz: seed ${SEED}, ${RUNS} batches of ${BATCH} (replay with FUZZ_SEED=${SEED})`);
    const port = Number(new URL(host.url).port);
    const validOrder = orderExample('order-ok.json').body;
    const controls: Promise<string>[] = [];
    let batches = 0;
    const counts = new Map<string, number>();

    const sendControl = async (id: string): Promise<string> => {
      const response = await fetch(`${host.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': id },
        body: validOrder,
      });
      expect({ id, status: response.status }).toEqual({ id, status: 202 });
      return id;
    };

    const details = await fc.check(
      fc.asyncProperty(
        fc.array(malformedRequest({ port, hubName: 'DurableSagaHub', validOrder }), {
          minLength: BATCH,
          maxLength: BATCH,
        }),
        async (batch) => {
          if (batches++ % CONTROL_EVERY === 0) {
            const control = sendControl(`ctl-${SEED}-${batches}`);
            // Awaited after the batches; until then a failure must not surface as an unhandled rejection.
            control.catch(() => undefined);
            controls.push(control);
          }
          const problems: string[] = [];
          await Promise.all(
            batch.map(async (request) => {
              try {
                const response = await sendRaw(host.url, request, 15_000);
                const key = `${response.status}${response.body === '' ? ' (empty)' : ''}`;
                counts.set(key, (counts.get(key) ?? 0) + 1);
                const problem = problemWith(request, response);
                if (problem) problems.push(`${problem}\n    for ${describeRequest(request)}`);
                // 202 is how every start answers: none of these requests may start anything.
                if (response.status === 202) problems.push(`answered 202\n    for ${describeRequest(request)}`);
              } catch (error) {
                problems.push(`${(error as Error).message}\n    for ${describeRequest(request)}`);
              }
            }),
          );
          if (host.child.exitCode !== null || host.child.signalCode !== null)
            problems.push(`the host process ended:\n${host.output().slice(-2000)}`);
          if (problems.length > 0) throw new Error(problems.slice(0, 5).join('\n'));
        },
      ),
      // Shrinking would replay batches against a host whose state moved on: the seed and the requests printed are the repro.
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // fast-check's own report prints the whole batch (megabytes with the oversized bodies): the problems say enough.
    if (details.failed) {
      const error =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`seed ${SEED}, batch ${details.numRuns}: ${error}`);
    }
    console.log(`malformed-request fuzz: statuses ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);

    // The valid orders sent among them all complete, and they are the only instances there are.
    const controlIds = await Promise.all(controls);
    for (const id of controlIds) {
      const status = await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/${id}`);
      expect({
        id,
        runtimeStatus: status.runtimeStatus,
        outcome: (status.output as { body?: { outcome?: string } })?.body?.outcome,
      }).toEqual({
        id,
        runtimeStatus: 'Completed',
        outcome: 'completed',
      });
    }
    const strangers = (await listInstanceIds()).filter(
      (id) => !controlIds.some((control) => id === control || id.startsWith(`${control}:`)),
    );
    expect(strangers).toEqual([]);
    expect(host.child.exitCode).toBeNull();
  });
});

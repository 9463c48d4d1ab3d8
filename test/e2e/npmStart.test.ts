import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { azuriteFiles, portAnswers } from '../../host/azurite';
import { isAlive, readRecord, stopDetached } from '../../host/detachedProcess';
import { localCosmosFiles } from '../../scripts/localCosmosProcess';
import { cosmosClientOptions, readCosmosSettings } from '../../src/services/cosmosClient';
import { waitForStatus } from '../support/hostProcess';
import { STANDARD_PORTS, takeStandardPorts } from '../support/standardPortsLock';
import { orderExample } from '../support/orderExamples';

// `npm start` on a machine with nothing running: it must start Azurite (persisting under
// .azurite/) and the embedded Cosmos server (persisting to .cosmos/data.json) itself, both
// detached so that they outlive npm start killed with -9, and stop both again on Ctrl-C. It needs
// Azurite's standard ports, so it cannot run beside an Azurite a developer already has open.
const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface NpmStart {
  stop(): Promise<void>;
  kill(): Promise<void>;
  url: Promise<string>;
  output(): string;
}

function startNpmStart(env: Record<string, string>): NpmStart {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/scripts/start.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${output}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(() => reject(new Error(`npm start exited: ${output}`)));
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const azuriteDir = path.join(ROOT, '.azurite');
const cosmosDir = path.join(ROOT, '.cosmos');
const hadAzuriteDir = fs.existsSync(azuriteDir);
const hadCosmosDir = fs.existsSync(cosmosDir);
const clients: CosmosClient[] = [];

afterAll(async () => {
  for (const client of clients) client.dispose();
  // Nothing detached outlives the tests, whatever failed above.
  for (const file of [azuriteFiles(ROOT).pid, localCosmosFiles(ROOT).pid]) {
    const record = readRecord(file);
    if (record && isAlive(record.pid)) await stopDetached(record.pid);
  }
  if (!hadAzuriteDir) fs.rmSync(azuriteDir, { recursive: true, force: true });
  if (!hadCosmosDir) fs.rmSync(cosmosDir, { recursive: true, force: true });
});

async function nothingListens(cosmosPort: number): Promise<boolean> {
  return !(await Promise.all([...STANDARD_PORTS, cosmosPort].map((p) => portAnswers(p)))).some(Boolean);
}

interface SagaData {
  keyboards: number;
  aliceBalance: number;
  payments: string[];
}

/** What the embedded Cosmos server holds of what order-ok.json touches. */
async function sagaData(endpoint: string): Promise<SagaData> {
  const client = new CosmosClient(
    cosmosClientOptions(readCosmosSettings({ COSMOS_ENDPOINT: endpoint, COSMOS_KEY: 'local' })),
  );
  clients.push(client);
  const db = client.database('durable-saga');
  const { resource: stock } = await db
    .container('inventory')
    .item('SKU-KEYBOARD', 'SKU-KEYBOARD')
    .read<{ available: number }>();
  const { resource: account } = await db
    .container('payments')
    .item('cust-alice', 'cust-alice')
    .read<{ balanceCents: number }>();
  const { resources: payments } = await db
    .container('payments')
    .items.query<{ id: string }>("SELECT c.id FROM c WHERE STARTSWITH(c.id, 'payment-')")
    .fetchAll();
  return {
    keyboards: stock?.available ?? NaN,
    aliceBalance: account?.balanceCents ?? NaN,
    payments: payments.map((p) => p.id).sort(),
  };
}

async function orderOk(url: string): Promise<string> {
  const response = await fetch(`${url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: orderExample('order-ok.json').body,
  });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  expect(await waitForStatus(`${url}/runtime/webhooks/durabletask/instances/${id}`)).toMatchObject({
    runtimeStatus: 'Completed',
  });
  return id;
}

/** The monitor's view of the saga and Cosmos's must tell the same story: completed, one keyboard and 139.97 EUR gone. */
async function expectAgreement(url: string, endpoint: string, id: string, before: SagaData): Promise<void> {
  const monitor = (await (await fetch(`${url}/api/monitor/instances/${id}`)).json()) as { runtimeStatus: string };
  expect(monitor.runtimeStatus).toBe('Completed');
  expect(await sagaData(endpoint)).toEqual({
    keyboards: before.keyboards - 1,
    aliceBalance: before.aliceBalance - 13_997,
    payments: [...before.payments, `payment-${id}`].sort(),
  });
}

describe('npm start on a machine with nothing running', () => {
  it(
    'starts Azurite and Cosmos itself, keeps the task hub and the saga data together across a restart, and stops both on Ctrl-C',
    { timeout: 300_000 },
    async (context) => {
      await takeStandardPorts(context);
      const cosmosPort = await freePort();
      const endpoint = `http://127.0.0.1:${cosmosPort}`;
      const env = { PORT: '0', COSMOS_ENDPOINT: endpoint };
      let app = startNpmStart(env);
      let url = await app.url;
      expect(app.output()).toMatch(/Embedded Cosmos-protocol server ready on .*(demo data loaded|documents restored)/);
      const before = await sagaData(endpoint);
      const id = await orderOk(url);
      await app.stop();
      expect(fs.existsSync(azuriteDir)).toBe(true);
      expect(fs.existsSync(localCosmosFiles(ROOT).data)).toBe(true);
      expect(await nothingListens(cosmosPort)).toBe(true);

      app = startNpmStart(env);
      url = await app.url;
      expect(app.output()).toMatch(/documents restored from/);
      await expectAgreement(url, endpoint, id, before);
      await app.stop();
      expect(await nothingListens(cosmosPort)).toBe(true);
    },
  );

  it(
    'loses nothing when npm start is killed with -9: Azurite and Cosmos keep running, the next start takes them over and its Ctrl-C stops them',
    { timeout: 300_000 },
    async (context) => {
      await takeStandardPorts(context);
      const cosmosPort = await freePort();
      const endpoint = `http://127.0.0.1:${cosmosPort}`;
      const env = { PORT: '0', COSMOS_ENDPOINT: endpoint };
      let app = startNpmStart(env);
      let url = await app.url;
      const before = await sagaData(endpoint);
      const id = await orderOk(url);
      // A second saga killed in flight must finish after the restart, once.
      const inFlight = await fetch(`${url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': `killed-${cosmosPort}` },
        body: orderExample('order-ok.json').body,
      });
      expect(inFlight.status).toBe(202);
      await app.kill();
      expect(await portAnswers(10002)).toBe(true);
      expect(await portAnswers(cosmosPort)).toBe(true);

      app = startNpmStart(env);
      url = await app.url;
      expect(app.output()).toMatch(/still running from the previous start/);
      await waitForStatus(`${url}/runtime/webhooks/durabletask/instances/killed-${cosmosPort}`);
      const after = { ...before, payments: [...before.payments, `payment-killed-${cosmosPort}`].sort() };
      after.keyboards -= 1;
      after.aliceBalance -= 13_997;
      await expectAgreement(url, endpoint, id, after);
      await app.stop();
      expect(await nothingListens(cosmosPort)).toBe(true);
      expect(fs.existsSync(azuriteFiles(ROOT).pid)).toBe(false);
      expect(fs.existsSync(localCosmosFiles(ROOT).pid)).toBe(false);
    },
  );

  /** Orders four at a time until `stop` resolves; each start is retried until answered (its key keeps it one saga). */
  async function orderLoad(url: string, prefix: string, stop: Promise<void>): Promise<string[]> {
    const started: string[] = [];
    let stopping = false;
    void stop.then(() => (stopping = true));
    for (let round = 0; !stopping; round++) {
      await Promise.all(
        [0, 1, 2, 3].map(async (slot) => {
          const key = `${prefix}-${round}-${slot}`;
          for (;;) {
            const response = await fetch(`${url}/api/orders`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
              body: orderExample('order-ok.json').body,
            }).catch(() => undefined);
            if (response?.status === 202 || response?.status === 200) break;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          started.push(key);
        }),
      );
    }
    return started;
  }

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * npm start under a steady load of orders; one of its stores is killed with -9 mid-load, and the
   * load goes on until the store is back and a moment longer. Returns the sagas the load started.
   */
  async function killUnderLoad(
    context: TestContext,
    store: { pidFile: string; back: RegExp },
  ): Promise<{ app: NpmStart; url: string; cosmosPort: number; started: string[] }> {
    await takeStandardPorts(context);
    const cosmosPort = await freePort();
    const app = startNpmStart({ PORT: '0', COSMOS_ENDPOINT: `http://127.0.0.1:${cosmosPort}` });
    const url = await app.url;
    let stop = (): void => undefined;
    const load = orderLoad(url, `heal-${cosmosPort}`, new Promise<void>((resolve) => (stop = resolve)));
    await sleep(1_500);
    const record = readRecord(store.pidFile);
    expect(record).toBeDefined();
    process.kill(record?.pid ?? 0, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    while (!store.back.test(app.output())) {
      expect(Date.now(), `waiting for ${String(store.back)}: ${app.output().slice(-2000)}`).toBeLessThan(deadline);
      await sleep(100);
    }
    await sleep(1_500);
    stop();
    return { app, url, cosmosPort, started: await load };
  }

  it(
    'heals its Cosmos server: killed with -9 under load, it is started again on the same port and data, and every saga finishes without a restart',
    { timeout: 300_000 },
    async (context) => {
      const { app, url, cosmosPort, started } = await killUnderLoad(context, {
        pidFile: localCosmosFiles(ROOT).pid,
        back: /The embedded Cosmos-protocol server is back \(pid \d+\)/,
      });

      expect(app.output()).toMatch(/The embedded Cosmos-protocol server \(pid \d+\) is gone; starting it again/);
      expect(started.length).toBeGreaterThan(8);
      for (const key of started) {
        const done = await waitForStatus(`${url}/runtime/webhooks/durabletask/instances/${key}`, undefined, 120_000);
        expect(done.runtimeStatus, key).toBe('Completed');
      }
      await orderOk(url);
      await app.stop();
      expect(await nothingListens(cosmosPort)).toBe(true);
    },
  );

  it(
    'heals its Azurite: killed with -9 under load, it is started again on the same ports and data, and the host carries on',
    { timeout: 300_000 },
    async (context) => {
      const { app, url, cosmosPort, started } = await killUnderLoad(context, {
        pidFile: azuriteFiles(ROOT).pid,
        back: /Azurite is back \(pid \d+\)/,
      });

      expect(app.output()).toMatch(/Azurite \(pid \d+\) is gone; starting it again on the same ports and data\./);
      // Azurite saves what it acknowledged every five seconds: a -9 can take the last seconds of
      // the task hub with it (docs/local-host.md). Every saga that it kept finishes; none is left
      // half done, and the host never stopped serving.
      const lost: string[] = [];
      for (const key of started) {
        const status = `${url}/runtime/webhooks/durabletask/instances/${key}`;
        if ((await fetch(status)).status === 404) {
          lost.push(key);
          continue;
        }
        const done = await waitForStatus(status, undefined, 120_000);
        expect(done.runtimeStatus, key).toBe('Completed');
      }
      console.log(
        `Azurite -9 under load: ${started.length} sagas started, ${lost.length} lost with its unsaved writes.`,
      );
      expect(lost.length).toBeLessThan(started.length);
      await orderOk(url);
      await app.stop();
      expect(await nothingListens(cosmosPort)).toBe(true);
    },
  );
});

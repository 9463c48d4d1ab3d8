import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';

// Two apps with different task hubs on one Azurite, and a host stopped with Ctrl-C mid-flight.
const FIRST = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
const SECOND = path.resolve(__dirname, '../../fixtures/apps/secondHub');
let azurite: RunningAzurite;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
});

// One host writes a task hub at a time: each test stops its hosts before the next starts one.
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.stop();
});

afterAll(async () => {
  await azurite?.stop();
});

const api = (host: HostProcess, p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;

describe('task hubs on one storage account', () => {
  it('keep instances with the same id apart', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    const [a, b] = await Promise.all([startHostProcess(FIRST, env), startHostProcess(SECOND, env)]);
    hosts.push(a, b);
    expect(b.output()).toContain(`startOrchestration: [POST] http://localhost:`);
    expect(b.output()).toMatch(/\/v2\/start\/\{name\}\/\{instanceId\?\}/);
    await fetch(api(a, 'orchestrators/sequence/same-id'), { method: 'POST', body: '["first"]' });
    await fetch(api(b, 'orchestrators/sequence/same-id'), { method: 'POST', body: '["second"]' });
    expect(await waitForStatus(api(a, 'instances/same-id'))).toMatchObject({ output: ['Hello first'] });
    expect(await waitForStatus(api(b, 'instances/same-id'))).toMatchObject({ output: ['Hello second'] });
    await fetch(api(b, 'instances/same-id'), { method: 'DELETE' });
    expect((await fetch(api(b, 'instances/same-id'))).status).toBe(404);
    expect((await fetch(api(a, 'instances/same-id'))).status).toBe(200);
    const listed = (await (await fetch(api(a, 'instances/'))).json()) as { name: string }[];
    expect(listed.length).toBe(1);
    expect(await (await fetch(`${b.url}/v2/items/7/x`)).json()).toMatchObject({ id: '7' });
  });
});

describe('a task hub in use', () => {
  it('stops a second host of the hub at start, naming the first, and lets it in once the first is gone', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    const first = await startHostProcess(FIRST, env);
    hosts.push(first);
    const refused = await startHostProcess(FIRST, env).then(
      (second) => {
        hosts.push(second);
        return 'started';
      },
      (error: unknown) => String(error),
    );
    expect(refused).toContain(`Task hub FeaturesHub is in use by another host (process ${String(first.child.pid)})`);
    await first.kill();
    hosts.splice(0);
    const next = await startHostProcess(FIRST, env);
    hosts.push(next);
    expect(
      (await fetch(api(next, 'orchestrators/sequence/after-takeover'), { method: 'POST', body: '["x"]' })).status,
    ).toBe(202);
    expect(await waitForStatus(api(next, 'instances/after-takeover'))).toMatchObject({ runtimeStatus: 'Completed' });
  });
});

describe('a host stopped with Ctrl-C', () => {
  it('leaves unfinished work durable, and the next start finishes it', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    let host = await startHostProcess(FIRST, env);
    for (let i = 0; i < 10; i++)
      await fetch(api(host, `orchestrators/fanOut/graceful-${i}`), { method: 'POST', body: '30' });
    await fetch(api(host, 'orchestrators/waitForever/graceful-waiting'), { method: 'POST' });
    await host.stop();
    expect(host.output()).toContain('Stopping');
    host = await startHostProcess(FIRST, env);
    hosts.push(host);
    for (let i = 0; i < 10; i++)
      expect(await waitForStatus(api(host, `instances/graceful-${i}`))).toMatchObject({
        runtimeStatus: 'Completed',
        output: 435,
      });
    await fetch(api(host, 'instances/graceful-waiting/raiseEvent/Go'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"after restart"',
    });
    expect(await waitForStatus(api(host, 'instances/graceful-waiting'))).toMatchObject({ output: 'after restart' });
    expect(host.output()).toMatch(/\[startOrchestration|Host started/);
  });
});

describe('a host restarted while sub-orchestrations wait on timers that are due by then', () => {
  it('finishes every parent: the children wake while their parents are being picked up', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    let host = await startHostProcess(FIRST, env);
    const ids = Array.from({ length: 20 }, (_, i) => `napping-${i}`);
    for (const id of ids) await fetch(api(host, `orchestrators/napParent/${id}`), { method: 'POST', body: '1000' });
    for (const id of ids) {
      await waitForStatus(api(host, `instances/${id}:nap?showHistory=true`), (s) =>
        JSON.stringify(s).includes('TimerCreated'),
      );
    }
    await host.stop();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    host = await startHostProcess(FIRST, env);
    hosts.push(host);
    for (const id of ids)
      expect(await waitForStatus(api(host, `instances/${id}`), undefined, 15_000)).toMatchObject({
        runtimeStatus: 'Completed',
        output: 'Hello after the nap',
      });
  });
});

const OTHER_PROVIDER = path.resolve(__dirname, '../../fixtures/apps/otherProvider');
const SETTING_HUB = path.resolve(__dirname, '../../fixtures/apps/settingHubName');

async function runHello(host: HostProcess): Promise<{ statusQueryGetUri: string; output: unknown }> {
  const started = await fetch(`${host.url}/api/orchestrators/helloCities`, { method: 'POST' });
  expect(started.status).toBe(202);
  const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
  const done = await waitForStatus(statusQueryGetUri);
  expect(done.runtimeStatus).toBe('Completed');
  return { statusQueryGetUri, output: done.output };
}

describe('a task hub configured for another durability provider', () => {
  it('runs an azureManaged app unchanged on this host’s Azure Storage, named by TaskHub=, and says so in one line', async () => {
    const host = await startHostProcess(OTHER_PROVIDER, { AzureWebJobsStorage: azurite.connectionString });
    hosts.push(host);
    const said = host
      .output()
      .split('\n')
      .filter((line) => line.includes('storage provider'));
    expect(said).toEqual([
      expect.stringContaining(
        'host.json selects the azureManaged storage provider; this local host keeps task hub ordershub ("orders-hub") in Azure Storage (AzureWebJobsStorage) instead.',
      ),
    ]);
    const { statusQueryGetUri, output } = await runHello(host);
    expect(output).toEqual(['Hello, Tokyo', 'Hello, Seattle', 'Hello, Cairo']);
    expect(new URL(statusQueryGetUri).searchParams.get('taskHub')).toBe('ordershub');
  });

  it('takes the provider from app setting overrides, as the Functions host does: the settings the azd template sets for the scheduler', async () => {
    // infra/app/api.bicep sets these for DURABLE_BACKEND=durableTaskScheduler; host.json stays as it is.
    const host = await startHostProcess(SETTING_HUB, {
      AzureWebJobsStorage: azurite.connectionString,
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName:
        'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      AzureFunctionsJobHost__extensions__durableTask__hubName: 'DurableSagaHub',
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING:
        'Endpoint=https://saga.westus2.durabletask.io;Authentication=ManagedIdentity;ClientID=00000000-0000-0000-0000-000000000000',
    });
    hosts.push(host);
    expect(host.output()).toContain(
      'host.json selects the azureManaged storage provider; this local host keeps task hub DurableSagaHub in Azure Storage',
    );
    const { statusQueryGetUri } = await runHello(host);
    expect(new URL(statusQueryGetUri).searchParams.get('taskHub')).toBe('DurableSagaHub');
  });

  it('matches the provider type case-insensitively', async () => {
    const host = await startHostProcess(SETTING_HUB, {
      AzureWebJobsStorage: azurite.connectionString,
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'MSSQL',
    });
    hosts.push(host);
    expect(host.output()).toContain(
      'host.json selects the mssql storage provider; this local host keeps task hub SettingsHub',
    );
  });
});

describe('%settings% in the task hub name', () => {
  it('resolves from local.settings.json Values', async () => {
    const host = await startHostProcess(SETTING_HUB, { AzureWebJobsStorage: azurite.connectionString });
    hosts.push(host);
    expect(host.output()).toContain('Host started (task hub SettingsHub');
    const { statusQueryGetUri } = await runHello(host);
    expect(new URL(statusQueryGetUri).searchParams.get('taskHub')).toBe('SettingsHub');
  });

  it('lets an environment variable win over local.settings.json, as under func start', async () => {
    const host = await startHostProcess(SETTING_HUB, {
      AzureWebJobsStorage: azurite.connectionString,
      TASKHUB_NAME: 'EnvironmentHub',
    });
    hosts.push(host);
    expect(host.output()).toContain('Host started (task hub EnvironmentHub');
  });
});

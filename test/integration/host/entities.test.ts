import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let setup: HostOnAzurite;
let host: HostProcess;
const api = (p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;

beforeAll(async () => {
  setup = await startHostOnAzurite(APP);
  host = setup.host;
});

afterAll(async () => {
  await setup?.stop();
});

/** Polls the entity's state until it satisfies `until` (signals are one-way). */
async function entityState(key: string, until: (state: unknown) => boolean): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(api(`entities/counter/${key}`));
    const state: unknown = response.status === 200 ? await response.json() : undefined;
    if (until(state)) return state;
    if (Date.now() > deadline) throw new Error(`entity ${key} is ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const signal = (key: string, op: string, body?: string): Promise<Response> =>
  fetch(api(`entities/counter/${key}?op=${op}`), { method: 'POST', body });

describe('durable entities', () => {
  it('are signalled and read over the HTTP API, and come into being with their first operation', async () => {
    expect((await fetch(api('entities/counter/c1'))).status).toBe(404);
    expect((await signal('c1', 'add', '3')).status).toBe(202);
    expect(await entityState('c1', (s) => s === 3)).toBe(3);
  });

  it('run operations one at a time, in the order they arrive', async () => {
    await Promise.all(Array.from({ length: 25 }, () => signal('many', 'add', '1')));
    expect(await entityState('many', (s) => s === 25)).toBe(25);
    await signal('many', 'reset');
    for (let i = 1; i <= 5; i++) await signal('many', 'add', String(i));
    expect(await entityState('many', (s) => s === 15)).toBe(15);
  });

  it('are signalled and read through the SDK client', async () => {
    await fetch(`${host.url}/api/client/signal/sdk`, { method: 'POST', body: JSON.stringify({ op: 'add', value: 7 }) });
    await entityState('sdk', (s) => s === 7);
    const read = (await (await fetch(`${host.url}/api/client/readEntity/sdk`)).json()) as {
      entityExists: boolean;
      entityState: unknown;
    };
    expect(read).toEqual({ entityExists: true, entityState: 7 });
  });

  it('answer calls from orchestrations, after the signals sent before them, and report errors to the caller', async () => {
    await fetch(api('orchestrators/entityUser/entity-caller'), { method: 'POST', body: '"from-orchestration"' });
    expect(await waitForStatus(api('instances/entity-caller'))).toMatchObject({
      runtimeStatus: 'Completed',
      output: { value: 5, failed: true },
    });
  });

  it('signal other entities', async () => {
    await signal('pinger', 'ping');
    expect(await entityState('pinged', (s) => s === 1)).toBe(1);
  });

  it('are listed, and deleted by the delete operation', async () => {
    const listed = (await (await fetch(api('entities/counter?fetchState=true'))).json()) as {
      entityId: { name: string; key: string };
      state: unknown;
    }[];
    expect(listed.find((e) => e.entityId.key === 'c1')).toMatchObject({
      entityId: { name: 'counter', key: 'c1' },
      state: 3,
    });
    expect((await fetch(api('entities/counter/c1'), { method: 'DELETE' })).status).toBe(202);
    await entityState('c1', (s) => s === undefined);
    const instances = (await (await fetch(api('instances/'))).json()) as { instanceId: string }[];
    expect(instances.some((i) => i.instanceId.startsWith('@'))).toBe(false);
  });

  it('take critical sections (replay schema V4, as extension 3.13+ advertises), released when the orchestration completes', async () => {
    await fetch(api('orchestrators/usesLock/lock-1'), { method: 'POST' });
    expect(await waitForStatus(api('instances/lock-1'))).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'locked',
    });
    await signal('locked', 'add', '2');
    expect(await entityState('locked', (s) => s === 2)).toBe(2);
  });
});

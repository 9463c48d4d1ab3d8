import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus } from '../../support/hostProcess';
import { base64, eventually, storageProbe } from '../../support/storageProbe';

const APP = path.resolve(__dirname, '../../fixtures/apps/clientInputs');
let stack: HostOnAzurite;

beforeAll(async () => {
  stack = await startHostOnAzurite(APP);
});

afterAll(async () => {
  await stack?.stop();
});

const api = (p: string): string => `${stack.host.url}/runtime/webhooks/durabletask/${p}`;

describe('a durableClient input', () => {
  it('works on an activity: it starts an orchestration and reads its caller’s status', async () => {
    await fetch(api('orchestrators/parent/parent-1'), { method: 'POST' });
    const parent = await waitForStatus(api('instances/parent-1'));
    expect(parent.runtimeStatus).toBe('Completed');
    const output = parent.output as { childId: string; parentStatus: string };
    expect(output.parentStatus).toBe('Running');
    expect(await waitForStatus(api(`instances/${output.childId}`))).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'child of activity',
    });
  });

  it('works on an entity', async () => {
    expect((await fetch(api('entities/launcher/one?op=launch'), { method: 'POST' })).status).toBe(202);
    const childId = await eventually(async () => {
      const response = await fetch(api('entities/launcher/one'));
      return response.status === 200 ? ((await response.json()) as string) : undefined;
    }, 'the entity’s state');
    expect(await waitForStatus(api(`instances/${childId}`))).toMatchObject({ output: 'child of entity' });
  });

  it('works on a timer trigger', async () => {
    expect(await waitForStatus(api('instances/from-timer'), (s) => s.runtimeStatus === 'Completed')).toMatchObject({
      output: 'child of timer',
    });
  });

  it('works on a queue trigger', async () => {
    await storageProbe(stack.azurite.connectionString).send('starts', base64('from-queue'));
    // Until the message is read the instance does not exist (404): wait for it to complete.
    expect(await waitForStatus(api('instances/from-queue'), (s) => s.runtimeStatus === 'Completed')).toMatchObject({
      output: 'child of queue',
    });
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let setup: HostOnAzurite;
let host: HostProcess;
const api = (p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;
const setBroken = (broken: boolean): Promise<Response> =>
  fetch(`${host.url}/api/fix`, { method: 'POST', body: broken ? 'break' : 'fix' });

beforeAll(async () => {
  setup = await startHostOnAzurite(APP);
  host = setup.host;
});

afterAll(async () => {
  await setup?.stop();
});

describe('rewind', () => {
  it('brings a failed instance back to running and replays only its failed task (SDK client)', async () => {
    await setBroken(true);
    await fetch(api('orchestrators/rewindable/rw-1'), { method: 'POST', body: '"job"' });
    expect(await waitForStatus(api('instances/rw-1'))).toMatchObject({ runtimeStatus: 'Failed' });
    await setBroken(false);
    expect(
      (
        await fetch(`${host.url}/api/client/rewind/rw-1`, {
          method: 'POST',
          body: JSON.stringify({ reason: 'fixed the bug' }),
        })
      ).status,
    ).toBe(202);
    const done = await waitForStatus(api('instances/rw-1'));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello first', 'fixed job'] });
    const history = (await (await fetch(api('instances/rw-1?showHistory=true'))).json()) as {
      historyEvents: { EventType: string; FunctionName?: string }[];
    };
    // The succeeded activity ran once; the failed one was scheduled again after the rewind.
    expect(history.historyEvents.filter((e) => e.EventType === 'TaskCompleted').map((e) => e.FunctionName)).toEqual([
      'hello',
      'fixable',
    ]);
    expect(history.historyEvents.filter((e) => e.EventType === 'GenericEvent').length).toBeGreaterThanOrEqual(3);
  });

  it('rewinds a failed sub-orchestration with its parent (HTTP API)', async () => {
    await setBroken(true);
    await fetch(api('orchestrators/rewindParent/rw-parent'), { method: 'POST' });
    expect(await waitForStatus(api('instances/rw-parent'))).toMatchObject({ runtimeStatus: 'Failed' });
    expect(await waitForStatus(api('instances/rw-parent-child'))).toMatchObject({ runtimeStatus: 'Failed' });
    await setBroken(false);
    expect((await fetch(api('instances/rw-parent/rewind?reason=retry'), { method: 'POST' })).status).toBe(202);
    expect(await waitForStatus(api('instances/rw-parent'))).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['Hello first', 'fixed the child'],
    });
    expect(await waitForStatus(api('instances/rw-parent-child'))).toMatchObject({ runtimeStatus: 'Completed' });
  });

  it('answers 404, 410 and 500 like the extension', async () => {
    expect((await fetch(api('instances/rw-none/rewind'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(api('instances/rw-1/rewind'), { method: 'POST' })).status).toBe(410);
    await fetch(api('orchestrators/waitForever/rw-running'), { method: 'POST' });
    await waitForStatus(api('instances/rw-running'), (s) => s.runtimeStatus === 'Running');
    const running = await fetch(api('instances/rw-running/rewind'), { method: 'POST' });
    expect(running.status).toBe(500);
    expect(((await running.json()) as { ExceptionMessage: string }).ExceptionMessage).toBe(
      'The rewind operation is only supported on failed orchestration instances.',
    );
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
const HOUR = 3600 * 1000;
let azurite: RunningAzurite;
let skipping: HostProcess;
let realTime: HostProcess;

beforeAll(async () => {
  azurite = await startTestAzurite();
  const env = { AzureWebJobsStorage: azurite.connectionString };
  [skipping, realTime] = await Promise.all([
    startHostProcess(APP, env, { timeSkipping: true }),
    // One host writes a task hub at a time: the real-time host keeps its own.
    startHostProcess(APP, { ...env, AzureFunctionsJobHost__extensions__durableTask__hubName: 'RealTimeHub' }),
  ]);
});

afterAll(async () => {
  await skipping?.stop();
  await realTime?.stop();
  await azurite?.stop();
});

const start = async (host: HostProcess, name: string, id: string, input: unknown): Promise<void> => {
  const response = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/${name}/${id}`, {
    method: 'POST',
    body: JSON.stringify(input),
  });
  expect(response.status).toBe(202);
};
const status = (host: HostProcess, id: string, query = ''): string =>
  `${host.url}/runtime/webhooks/durabletask/instances/${id}${query}`;

describe('time skipping (a host option for tests)', () => {
  it('fires a 24-hour timer as soon as nothing else runs, and currentUtcDateTime follows the clock', async () => {
    await start(skipping, 'timerThenDone', 'day-timer', 24 * HOUR);
    const done = await waitForStatus(status(skipping, 'day-timer'));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 'fired' });
    const lastUpdated = new Date(String(done.lastUpdatedTime)).getTime();
    const created = new Date(String(done.createdTime)).getTime();
    expect(lastUpdated - created).toBeGreaterThanOrEqual(24 * HOUR - 1000);
  });

  it('splits a 10-day timer into the extension’s slices (3 days, 3 days, the rest), which the SDK follows', async () => {
    await start(skipping, 'timerThenDone', 'ten-days', 240 * HOUR);
    expect(await waitForStatus(status(skipping, 'ten-days'))).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'fired',
    });
    const full = (await (await fetch(status(skipping, 'ten-days', '?showHistory=true'))).json()) as {
      historyEvents: { EventType: string }[];
    };
    expect(full.historyEvents.filter((e) => e.EventType === 'TimerFired')).toHaveLength(3);
  });

  it('lets a timeout win a race when no event comes', async () => {
    await start(skipping, 'race', 'race-timeout', { timeoutMs: HOUR });
    expect(await waitForStatus(status(skipping, 'race-timeout'))).toMatchObject({
      output: { approved: false, timedOut: true },
    });
  });

  it('discards a cancelled timer that fires after its instance completed: no episode, no commit', async () => {
    const episodes = async (): Promise<number> => {
      const scrape = await (await fetch(`${skipping.url}/admin/metrics`)).text();
      const line = scrape
        .split('\n')
        .find((l) => l.startsWith('durable_orchestration_episode_seconds_count{orchestrator="race"}'));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const timersArmed = async (): Promise<number> => {
      const scrape = await (await fetch(`${skipping.url}/admin/metrics`)).text();
      const line = scrape.split('\n').find((l) => l.startsWith('durable_work_waiting{kind="timers"}'));
      return Number(line?.split(' ').at(-1) ?? NaN);
    };
    // A request held open keeps the clock from skipping to the timer before the event wins the race.
    const held = fetch(`${skipping.url}/api/gate`);
    await start(skipping, 'race', 'race-approved', { timeoutMs: HOUR });
    await waitForStatus(status(skipping, 'race-approved', '?showHistory=true'), (s) =>
      JSON.stringify(s).includes('TimerCreated'),
    );
    const raised = await fetch(`${status(skipping, 'race-approved')}/raiseEvent/Approval`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'true',
    });
    expect(raised.status).toBe(202);
    expect(await waitForStatus(status(skipping, 'race-approved'))).toMatchObject({ output: { approved: true } });
    const afterCompletion = await episodes();
    expect(await (await fetch(`${skipping.url}/api/gate`, { method: 'POST' })).text()).toBe('opened');
    expect(await (await held).text()).toBe('passed');

    // With nothing else to do, the clock skips to the cancelled timer, which fires and is dropped.
    await expect.poll(timersArmed, { timeout: 20_000 }).toBe(0);
    expect(await episodes()).toBe(afterCompletion);
    const history = (await (await fetch(status(skipping, 'race-approved', '?showHistory=true'))).json()) as {
      historyEvents: { EventType: string }[];
    };
    expect(history.historyEvents.filter((e) => e.EventType === 'TimerFired')).toHaveLength(0);
  });

  it('waits for HTTP requests in flight, then skips once the last one has ended', async () => {
    const held = fetch(`${skipping.url}/api/gate`);
    await start(skipping, 'timerThenDone', 'day-timer-busy', 24 * HOUR);
    await waitForStatus(status(skipping, 'day-timer-busy', '?showHistory=true'), (s) =>
      JSON.stringify(s).includes('TimerCreated'),
    );
    expect(
      ((await (await fetch(status(skipping, 'day-timer-busy'))).json()) as { runtimeStatus: string }).runtimeStatus,
    ).toBe('Running');
    expect(await (await fetch(`${skipping.url}/api/gate`, { method: 'POST' })).text()).toBe('opened');
    expect(await (await held).text()).toBe('passed');
    expect(await waitForStatus(status(skipping, 'day-timer-busy'))).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'fired',
    });
  });

  it('changes nothing when off: the same 24-hour timer keeps the instance running', async () => {
    await start(realTime, 'timerThenDone', 'day-timer-real', 24 * HOUR);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(
      ((await (await fetch(status(realTime, 'day-timer-real'))).json()) as { runtimeStatus: string }).runtimeStatus,
    ).toBe('Running');
    expect(realTime.output()).not.toContain('Time skipping is on');
    expect(skipping.output()).toContain('Time skipping is on');
  });
});

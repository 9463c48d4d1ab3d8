import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../../support/hostOnAzurite';
import { waitForStatus } from '../../../support/hostProcess';
import { base64, storageProbe } from '../../../support/storageProbe';

// Each kind of trigger gets a host of its own: with one worker (the default) a host stops after
// three worker errors, and each kind below ends its worker twice with an error and once with exit().
const APP = path.resolve(__dirname, '../../../fixtures/apps/workerCrashes');
const CRASHES = ['reject', 'throw', 'exit'] as const;
const TERMINAL = ['Completed', 'Failed', 'Terminated'];

function onHostOfItsOwn(): { stack: () => HostOnAzurite; api: (p: string) => string } {
  let stack: HostOnAzurite;
  beforeAll(async () => {
    stack = await startHostOnAzurite(APP);
  });
  afterAll(async () => {
    // No instance is left waiting for a worker that is gone.
    const list = (await (await fetch(`${stack.host.url}/runtime/webhooks/durabletask/instances`)).json()) as {
      instanceId: string;
      runtimeStatus: string;
    }[];
    for (const { instanceId } of list) {
      const status = await waitForStatus(`${stack.host.url}/runtime/webhooks/durabletask/instances/${instanceId}`);
      expect(TERMINAL).toContain(status.runtimeStatus);
    }
    await stack?.stop();
  });
  return {
    stack: () => stack,
    api: (p: string) => `${stack.host.url}/runtime/webhooks/durabletask/${p}`,
  };
}

async function stillServes(url: string): Promise<void> {
  const response = await fetch(`${url}/api/served`);
  expect(response.status).toBe(200);
}

describe('an HTTP function that ends its worker', () => {
  const { stack } = onHostOfItsOwn();

  it.each(CRASHES)('answers 500 on %s, and the host serves the next request from a fresh worker', async (how) => {
    const before = (await (await fetch(`${stack().host.url}/api/served`)).json()) as { served: number };
    expect(before.served).toBeGreaterThanOrEqual(1);
    const response = await fetch(`${stack().host.url}/api/crash/${how}`, { method: 'POST' });
    expect(response.status).toBe(500);
    // The worker's module state went with it: the restarted worker counts from one.
    expect(await (await fetch(`${stack().host.url}/api/served`)).json()).toEqual({ served: 1 });
  });

  it('is logged as the Functions host logs a language worker that exits', () => {
    const output = stack().host.output();
    expect(output).toContain(
      'Worker uncaught exception (learn more: https://go.microsoft.com/fwlink/?linkid=2097909 ): Error: a rejection nobody awaits',
    );
    expect(output).toContain(
      'Worker uncaught exception (learn more: https://go.microsoft.com/fwlink/?linkid=2097909 ): Error: a throw in a callback',
    );
    expect(output).toMatch(
      /Language Worker Process exited\. Pid=\d+ \(worker thread \d+\)\. node exited with code 1 \(0x1\)/,
    );
    expect(output).toContain('Language Worker Process exited and needs to be restarted.');
  });

  it.each(CRASHES)("keeps the function's last log line before a crash by %s", (how) => {
    const output = stack().host.output();
    const logged = output.indexOf(`crashing with ${how}`);
    expect(logged).toBeGreaterThanOrEqual(0);
    expect(output.indexOf('Language Worker Process exited', logged)).toBeGreaterThan(logged);
  });
});

describe('an activity that ends its worker', () => {
  const { stack, api } = onHostOfItsOwn();

  it.each(CRASHES)('is recorded as failed on %s, and the orchestrator decides what follows', async (how) => {
    const id = `activity-${how}-${randomUUID()}`;
    await fetch(api(`orchestrators/callsCrashingActivity/${id}`), { method: 'POST', body: JSON.stringify(how) });
    const status = await waitForStatus(api(`instances/${id}`));
    expect(status.runtimeStatus).toBe('Completed');
    const code = how === 'exit' ? 0 : 1;
    // The SDK appends the failure details to the reason.
    expect(status.output).toContain(
      `Activity function 'crashingActivity' failed:  node exited with code ${code} (0x${code})`,
    );
    await stillServes(stack().host.url);
  });

  it('is retried by the retry policy: the second attempt runs on the restarted worker', async () => {
    const id = `retried-${randomUUID()}`;
    await fetch(api(`orchestrators/retriesCrashingActivity/${id}`), { method: 'POST', body: JSON.stringify('exit') });
    expect(await waitForStatus(api(`instances/${id}`))).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'second attempt',
    });
  });
});

describe('an orchestration that ends its worker', () => {
  const { stack, api } = onHostOfItsOwn();

  it('fails its instance when the episode in flight ends with the worker (exit), without a retry', async () => {
    const id = `orchestration-exit-${randomUUID()}`;
    await fetch(api(`orchestrators/crashingOrchestrator/${id}`), { method: 'POST', body: JSON.stringify('exit') });
    expect(await waitForStatus(api(`instances/${id}`))).toMatchObject({
      runtimeStatus: 'Failed',
      output: "Orchestrator function 'crashingOrchestrator' failed: node exited with code 0 (0x0)",
    });
    await stillServes(stack().host.url);
  });

  it.each(['reject', 'throw'])(
    'keeps the answer of an episode the worker outlived on %s, and runs the next episode on the restarted worker',
    async (how) => {
      const id = `orchestration-${how}-${randomUUID()}`;
      await fetch(api(`orchestrators/crashingOrchestrator/${id}`), { method: 'POST', body: JSON.stringify(how) });
      expect(await waitForStatus(api(`instances/${id}`))).toMatchObject({
        runtimeStatus: 'Completed',
        output: 'next episode ran',
      });
      await stillServes(stack().host.url);
    },
  );

  it('ended its worker each time', () => {
    expect(
      stack()
        .host.output()
        .match(/Language Worker Process exited/g),
    ).toHaveLength(3);
  });
});

describe('a function that ends its worker while its durable client call is in flight', () => {
  const { stack, api } = onHostOfItsOwn();

  it.each(CRASHES)('answers 500 on %s, and the instance the call started comes to an end', async (how) => {
    const id = `lost-call-${how}-${randomUUID()}`;
    const response = await fetch(`${stack().host.url}/api/crash-mid-call/${how}/${id}`, { method: 'POST' });
    expect(response.status).toBe(500);
    // The call reached the host, so the instance exists. Its first episode runs on the restarted
    // worker, or, when it was sent before the host saw the exit, fails with the worker as on Azure.
    const status = await waitForStatus(api(`instances/${id}`));
    if (status.runtimeStatus === 'Completed') expect(status.output).toBe('ran without its starter');
    else
      expect(status).toMatchObject({
        runtimeStatus: 'Failed',
        output: expect.stringMatching(/^Orchestrator function 'startedByALostCall' failed: node exited with code [01]/),
      });
    await stillServes(stack().host.url);
  });
});

describe('a queue-triggered function that ends its worker', () => {
  const { stack, api } = onHostOfItsOwn();

  it.each(CRASHES)('gets its message again on %s and handles it on the restarted worker', async (how) => {
    const id = `queue-${how}-${randomUUID()}`;
    await storageProbe(stack().azurite.connectionString).send('crashes', base64(`${how}:${id}`));
    expect(await waitForStatus(api(`instances/${id}`), (s) => s.runtimeStatus === 'Completed', 60_000)).toMatchObject({
      output: `message ${id} handled`,
    });
    await stillServes(stack().host.url);
  });
});

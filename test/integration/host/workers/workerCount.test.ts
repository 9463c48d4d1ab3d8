import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../../support/hostOnAzurite';

const APP = path.resolve(__dirname, '../../../fixtures/apps/workerCrashes');
let stack: HostOnAzurite | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const host = (): string => stack?.host.url ?? 'http://host-not-started';

async function served(): Promise<number> {
  const response = await fetch(`${host()}/api/served`);
  return ((await response.json()) as { served: number }).served;
}

async function crash(how: string): Promise<number> {
  return (await fetch(`${host()}/api/crash/${how}`, { method: 'POST' })).status;
}

describe('FUNCTIONS_WORKER_PROCESS_COUNT', () => {
  it('runs that many workers, invocations spread round-robin, each with its own module state', async () => {
    stack = await startHostOnAzurite(APP, { FUNCTIONS_WORKER_PROCESS_COUNT: '2' });
    const counts = [await served(), await served(), await served(), await served()];
    expect(counts).toEqual([1, 1, 2, 2]);
  });

  it('stops a start that asks for more than ten workers, in one line', async () => {
    await expect(startHostOnAzurite(APP, { FUNCTIONS_WORKER_PROCESS_COUNT: '11' })).rejects.toThrow(
      'FUNCTIONS_WORKER_PROCESS_COUNT 11: ProcessCount must not be greater than MaxProcessCount (10).',
    );
  });
});

describe('worker errors', () => {
  it('do not count when a worker ends itself with exit code 0: it is restarted every time', async () => {
    stack = await startHostOnAzurite(APP);
    for (let i = 0; i < 4; i++) expect(await crash('exit')).toBe(500);
    expect(await served()).toBe(1);
  });

  it('stop the host after 3 × the worker count without a 30-minute quiet gap, with one line and exit code 1', async () => {
    stack = await startHostOnAzurite(APP);
    const { child } = stack.host;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    expect(await crash('exit1')).toBe(500);
    expect(await crash('reject')).toBe(500);
    expect(await served()).toBe(1);
    expect(await crash('throw')).toBe(500);
    expect(await exited).toBe(1);
    expect(stack.host.output()).toContain(
      'Exceeded language worker restart retry count for runtime:node. Shutting down and proactively recycling the Functions Host to recover',
    );
  });
});

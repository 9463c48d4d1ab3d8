import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../support/hostProcess';

// Entity critical sections (`context.df.lock`, replay schema V4) on the local host, with the
// extension's semantics: locks taken in entity order, operations of the lock holder only, release
// on `release()` and when the orchestration completes or continues as new, and none when it fails.

const APP = path.resolve(__dirname, '../../fixtures/apps/criticalSection');
let setup: HostOnAzurite;
let host: HostProcess;
const api = (p: string): string => `${host.url}/runtime/webhooks/durabletask/${p}`;

// The SDK's own wording, so the test follows the installed SDK rather than a copy of it.
const sdkRequire = createRequire(require.resolve('durable-functions'));
const { LockingRulesViolationMessages: rules } = sdkRequire('./error/LockingRulesViolationError') as {
  LockingRulesViolationMessages: Record<
    'NestedSection' | 'SubOrchestrationInSection' | 'CallUnlockedEntity' | 'ParallelSameEntity' | 'SignalLockedEntity',
    string
  >;
};

beforeAll(async () => {
  setup = await startHostOnAzurite(APP);
  host = setup.host;
});

afterAll(async () => {
  await setup?.stop();
});

type Status = Awaited<ReturnType<typeof waitForStatus>>;

async function start(name: string, instanceId: string, input: unknown): Promise<void> {
  const response = await fetch(api(`orchestrators/${name}/${instanceId}`), {
    method: 'POST',
    body: JSON.stringify(input),
  });
  expect(response.status).toBe(202);
}

const finished = (instanceId: string): Promise<Status> => waitForStatus(api(`instances/${instanceId}`));

const signal = (key: string, op: string, value: number): Promise<Response> =>
  fetch(api(`entities/account/${key}?op=${op}`), { method: 'POST', body: JSON.stringify(value) });

async function raise(instanceId: string, event: string): Promise<void> {
  const response = await fetch(api(`instances/${instanceId}/raiseEvent/${event}`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(202);
}

/** Polls until `read` gives a value `until` accepts (signals and releases are one-way). */
async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function balanceNow(key: string): Promise<unknown> {
  const response = await fetch(api(`entities/account/${key}`));
  return response.status === 200 ? response.json() : undefined;
}

const balance = (key: string, expected: number): Promise<unknown> =>
  eventually(
    () => balanceNow(key),
    (value) => value === expected,
  );

/** The entity's status as the extension writes it: {entityExists, queueSize?, lockedBy?}. */
interface EntityStatus {
  entityExists?: boolean;
  queueSize?: number;
  lockedBy?: string;
}

async function entityStatusNow(key: string): Promise<EntityStatus | undefined> {
  const response = await fetch(api(`instances/@account@${key}`));
  // 202: the entity instance is Running, as entities always are.
  if (response.status !== 202) return undefined;
  return ((await response.json()) as { customStatus: EntityStatus | null }).customStatus ?? undefined;
}

const entityStatus = (key: string, until: (status: EntityStatus | undefined) => boolean): Promise<unknown> =>
  eventually(() => entityStatusNow(key), until);

const running = (instanceId: string, customStatus: string): Promise<Status> =>
  waitForStatus(api(`instances/${instanceId}`), (s) => (s as { customStatus?: unknown }).customStatus === customStatus);

describe('entity critical sections', () => {
  it('serialize transfers that contend for the same accounts: every balance ends exact', async () => {
    for (const key of ['a', 'b', 'c']) await signal(key, 'set', 100);
    for (const key of ['a', 'b', 'c']) await balance(key, 100);
    const transfers: [string, string, number][] = [
      ['a', 'b', 10],
      ['b', 'a', 20],
      ['b', 'c', 5],
      ['c', 'a', 7],
      ['a', 'c', 3],
      ['c', 'b', 11],
      ['a', 'b', 1],
      ['b', 'c', 2],
    ];
    await Promise.all(
      transfers.map(([from, to, amount], i) => start('transfer', `transfer-${i}`, { from, to, amount })),
    );
    const statuses = await Promise.all(transfers.map((_, i) => finished(`transfer-${i}`)));
    expect(statuses.map((s) => s.runtimeStatus)).toEqual(transfers.map(() => 'Completed'));

    const expected: Record<string, number> = { a: 100, b: 100, c: 100 };
    for (const [from, to, amount] of transfers) {
      expected[from] -= amount;
      expected[to] += amount;
    }
    expect({ a: await balanceNow('a'), b: await balanceNow('b'), c: await balanceNow('c') }).toEqual(expected);
    // The last release travels after the transfer completed.
    for (const key of ['a', 'b', 'c'])
      expect(await entityStatus(key, (s) => s?.lockedBy === undefined)).toEqual({ entityExists: true });
  });

  it('hold back the operations of others until the holder releases the lock', async () => {
    await start('holdUntilGo', 'holder', 'held');
    await running('holder', 'holding');
    expect(await entityStatusNow('held')).toEqual({ entityExists: true, lockedBy: 'holder' });

    await signal('held', 'add', 10);
    await entityStatus('held', (s) => s?.queueSize === 1);
    expect(await balanceNow('held')).toBe(1);

    await raise('holder', 'go');
    // It read 1 while holding the lock; once released, the waiting +10 ran before its next read.
    expect(await finished('holder')).toMatchObject({ runtimeStatus: 'Completed', output: { seen: 1, after: 11 } });
    expect(await entityStatusNow('held')).toEqual({ entityExists: true });
  });

  it('are released when the orchestration completes without releasing them', async () => {
    await start('returnsHolding', 'returner', 'returned');
    expect(await finished('returner')).toMatchObject({ runtimeStatus: 'Completed' });
    await signal('returned', 'add', 10);
    await balance('returned', 11);
    expect(await entityStatusNow('returned')).toEqual({ entityExists: true });
  });

  it('are released when the orchestration continues as new', async () => {
    await start('continuesHolding', 'continuer', { key: 'continued', generation: 0 });
    await running('continuer', 'next generation');
    await signal('continued', 'add', 10);
    await balance('continued', 11);
    await raise('continuer', 'done');
    expect(await finished('continuer')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { isLocked: false, ownedLocks: [] },
    });
  });

  it('enforce the locking rules with the errors the SDK throws', async () => {
    await start('breaksRules', 'rule-breaker', ['ruled', 'unruled']);
    const status = await finished('rule-breaker');
    expect(status).toMatchObject({ runtimeStatus: 'Completed' });
    const violation = (rule: string, message: string) => ({ rule, error: 'LockingRulesViolationError', message });
    expect(status.output).toEqual({
      thrown: [
        violation('nested lock', rules.NestedSection),
        violation('sub-orchestration', rules.SubOrchestrationInSection),
        violation('call an entity not locked', rules.CallUnlockedEntity),
        violation('signal a locked entity', rules.SignalLockedEntity),
        { rule: 'signal an entity not locked', error: null },
        violation('call a locked entity twice in parallel', rules.ParallelSameEntity),
      ],
      during: { isLocked: true, ownedLocks: [{ name: 'account', key: 'ruled' }] },
      after: { isLocked: false, ownedLocks: [] },
    });
    await balance('unruled', 1);

    await start('failsOnRule', 'rule-failer', ['rule-held', 'rule-other']);
    expect(await finished('rule-failer')).toMatchObject({
      runtimeStatus: 'Failed',
      output: `Orchestrator function 'failsOnRule' failed: ${rules.CallUnlockedEntity}`,
    });
  });

  it('stay held by an orchestration that fails inside the critical section, as on Azure (extension issues #1977, #2743)', async () => {
    await start('failsHolding', 'failer', 'abandoned');
    expect(await finished('failer')).toMatchObject({
      runtimeStatus: 'Failed',
      output: "Orchestrator function 'failsHolding' failed: failed while holding abandoned",
    });
    expect(await entityStatusNow('abandoned')).toEqual({ entityExists: true, lockedBy: 'failer' });

    // Operations of everyone else wait behind the lock nobody will release.
    await signal('abandoned', 'add', 10);
    await entityStatus('abandoned', (s) => s?.queueSize === 1);
    expect(await balanceNow('abandoned')).toBe(1);
    expect(await entityStatusNow('abandoned')).toEqual({ entityExists: true, queueSize: 1, lockedBy: 'failer' });

    // A locking-rule error that fails the orchestration leaves its locks held the same way.
    expect(await entityStatusNow('rule-held')).toEqual({ lockedBy: 'rule-failer' });
  });

  it('stay held by an orchestration terminated inside the critical section (no code of it runs again)', async () => {
    await start('holdUntilGo', 'terminated-holder', 'terminated');
    await running('terminated-holder', 'holding');
    const response = await fetch(api('instances/terminated-holder/terminate?reason=stop'), { method: 'POST' });
    expect(response.status).toBe(202);
    expect(await finished('terminated-holder')).toMatchObject({ runtimeStatus: 'Terminated' });
    await signal('terminated', 'add', 10);
    await entityStatus('terminated', (s) => s?.queueSize === 1);
    expect(await entityStatusNow('terminated')).toEqual({
      entityExists: true,
      queueSize: 1,
      lockedBy: 'terminated-holder',
    });
    expect(await balanceNow('terminated')).toBe(1);
  });

  it('are released by a failing orchestration that releases them itself (in `finally`)', async () => {
    await start('failsReleasing', 'releaser', 'released');
    expect(await finished('releaser')).toMatchObject({
      runtimeStatus: 'Failed',
      output: "Orchestrator function 'failsReleasing' failed: failed while holding released",
    });
    await signal('released', 'add', 10);
    await balance('released', 11);
    expect(await entityStatusNow('released')).toEqual({ entityExists: true });
  });
});

import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, type HostProcess } from '../../support/hostProcess';
import {
  faultSeed,
  seededRandom,
  startStorageFaultProxy,
  type StorageFaultProxy,
} from '../../support/storageFaultProxy';

// Random storage faults under a mixed durable workload, from a seed that is printed (and taken
// from FAULT_SEED to replay a run): 500s and 503s, applied requests whose reply is lost, resets,
// stalls, outages that cut every connection, and a host killed with -9. When the faults stop,
// every instance that was accepted finishes, with the output it would have had without them,
// and no restart helps. Requests interleave with timing, so a seed replays the same faults for
// the same sequence of requests, not always the same run.
const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
/** How long faults are injected. */
const FAULTS_MS = 20_000;
/** How long every instance has, after the faults stop, to finish. */
const SETTLE_MS = 60_000;

let azurite: RunningAzurite | undefined;
let proxy: StorageFaultProxy | undefined;
let host: HostProcess | undefined;

afterAll(async () => {
  await host?.stop();
  await proxy?.stop();
  await azurite?.stop();
});

interface Workload {
  name: string;
  input: unknown;
  expected: unknown;
}

/** One instance of each durable feature in turn: activities, fan-out, children, continue-as-new, timers, entities. */
function workload(i: number): Workload {
  switch (i % 6) {
    case 0:
      return { name: 'sequence', input: ['a', 'b', 'c'], expected: ['Hello a', 'Hello b', 'Hello c'] };
    case 1:
      return { name: 'fanOut', input: 6, expected: 15 };
    case 2:
      return { name: 'parent', input: null, expected: { ok: { doubled: 42 } } };
    case 3:
      return { name: 'countUp', input: 0, expected: 3 };
    case 4:
      return { name: 'timerThenDone', input: 300 + (i % 5) * 300, expected: 'fired' };
    default:
      return { name: 'entityUser', input: `faulty-${i}`, expected: { value: 5, failed: true } };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('random storage faults and a host kill', () => {
  it('leave no accepted instance unfinished once they stop, without a restart', { timeout: 150_000 }, async () => {
    const seed = faultSeed();
    console.log(`Storage faults from FAULT_SEED=${seed} (set it to replay this run).`);
    const random = seededRandom(seed);
    azurite = await startTestAzurite();
    proxy = await startStorageFaultProxy(azurite.ports);
    const env = { AzureWebJobsStorage: proxy.connectionString };
    host = await startHostProcess(APP, env);
    const faulty = proxy;
    const injectRandomFaults = (): void => faulty.randomly(random, { rate: 0.06 });

    const accepted = new Map<string, Workload>();
    const startOne = async (id: string, work: Workload): Promise<void> => {
      // A start whose answer was a failure may still have happened: the instance is there or not.
      const url = host?.url ?? '';
      const response = await fetch(`${url}/runtime/webhooks/durabletask/orchestrators/${work.name}/${id}`, {
        method: 'POST',
        body: JSON.stringify(work.input),
      }).catch(() => undefined);
      if (response?.status === 202) accepted.set(id, work);
    };

    injectRandomFaults();
    const until = Date.now() + FAULTS_MS;
    const killAt = Date.now() + 5000 + Math.floor(random() * (FAULTS_MS - 10_000));
    let killed = false;
    const outages = [0.25, 0.6].map((share) => Date.now() + Math.floor(share * FAULTS_MS + random() * 2000));
    let started = 0;
    const cuts: { end(): void }[] = [];
    while (Date.now() < until) {
      const batch = Array.from({ length: 3 }, () => started++);
      await Promise.all(batch.map((i) => startOne(`faulty-${seed}-${i}`, workload(i))));
      const due = outages.findIndex((at) => at <= Date.now());
      if (due >= 0) {
        outages.splice(due, 1);
        cuts.push(faulty.outage(1000 + Math.floor(random() * 2500)));
      }
      if (!killed && Date.now() >= killAt) {
        killed = true;
        await host.kill();
        // The restart itself meets no faults: a start-up that cannot reach storage is a start-up error.
        faulty.clear();
        for (const cut of cuts) cut.end();
        host = await startHostProcess(APP, env);
        injectRandomFaults();
      }
      await sleep(200 + Math.floor(random() * 300));
    }
    faulty.clear();
    const served = { ...faulty.served };
    console.log(`Faults served: ${JSON.stringify(served)}; ${accepted.size} of ${started} starts accepted.`);

    // The run was not vacuous: faults of every kind were served, and most starts went through.
    expect(killed).toBe(true);
    expect(served.status).toBeGreaterThan(0);
    expect(served['drop-reply']).toBeGreaterThan(0);
    expect(served.reset).toBeGreaterThan(0);
    expect(accepted.size).toBeGreaterThan(started / 2);

    // Polled one at a time, twice a second: the machine's two cores are the host's to finish the work.
    const deadline = Date.now() + SETTLE_MS;
    const url = host.url;
    const last = new Map<string, { runtimeStatus: string; output?: unknown }>();
    let open = [...accepted.keys()];
    while (open.length > 0 && Date.now() < deadline) {
      const stillOpen: string[] = [];
      for (const id of open) {
        const response = await fetch(`${url}/runtime/webhooks/durabletask/instances/${id}`);
        const status = (await response.json()) as { runtimeStatus: string; output?: unknown };
        last.set(id, status);
        if (!['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus)) stillOpen.push(id);
      }
      open = stillOpen;
      if (open.length > 0) await sleep(500);
    }
    const finished = [...accepted].map(([id, work]) => ({
      id,
      runtimeStatus: last.get(id)?.runtimeStatus,
      output: last.get(id)?.output,
      expected: work.expected,
    }));
    const unfinished = finished.filter((f) => f.runtimeStatus !== 'Completed').map((f) => f.id);
    // What the host said after its restart, to start from when a seed finds something.
    if (unfinished.length > 0) console.log(`Unfinished: ${unfinished.join(', ')}\n${host.output().slice(-6000)}`);
    for (const { id, runtimeStatus, output, expected } of finished) {
      expect({ id, runtimeStatus }).toEqual({ id, runtimeStatus: 'Completed' });
      expect({ id, output }).toMatchObject({ id, output: expected });
    }
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { developmentConnectionString, startAzurite, stopProcess } from '../host/azurite';
import { LogStructuredTaskHubStore } from '../host/store/logStructuredTaskHubStore';
import { createSagaActivities } from '../src/functions/activities';
import type { Order } from '../src/saga/orderInput';
import { ensureSagaContainers } from '../src/services/containers';
import { createCosmosClient, readCosmosSettings } from '../src/services/cosmosClient';
import { newStockDocument } from '../src/services/inventory';
import { newAccountDocument } from '../src/services/payment';
import { newZoneDocument } from '../src/services/shipping';
import { startHostProcess, type HostProcess } from '../test/support/hostProcess';
import { cpuByComponent, type CpuProfile } from './cpuProfile';
import { getJson, request } from './benchClient';
import { addFinishedInstances } from './finishedInstances';

/**
 * `npm run bench`: the order saga through HTTP on the local host, next to the same steps as
 * plain in-process calls on the same Cosmos server (the floor: what the saga costs without any
 * orchestration), and the Cosmos calls a saga makes by outcome (counted by the Cosmos server).
 *
 *   node dist/bench/sagaBench.js [--sequential 60] [--sagas 400] [--concurrency 32] [--warmup 150] [--per-outcome 10]
 *     [--saga-version 2.0] [--finished 10000] [--profile]
 *
 * Timings are read off one machine in one run; compare the ratios, not the
 * absolute numbers.
 */
const ROOT = path.resolve(__dirname, '../..');
const SKUS = 64;

interface Sample {
  latencies: number[];
  wallMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(label: string, sample: Sample): string {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  const rate = (sample.latencies.length / sample.wallMs) * 1000;
  return `${label.padEnd(34)} ${rate.toFixed(1).padStart(8)}/s  p50 ${percentile(sorted, 50).toFixed(1).padStart(7)} ms  p95 ${percentile(sorted, 95).toFixed(1).padStart(7)} ms  p99 ${percentile(sorted, 99).toFixed(1).padStart(7)} ms`;
}

function order(i: number): Order {
  return {
    customerId: `bench-cust-${i % SKUS}`,
    currency: 'EUR',
    lines: [{ sku: `BENCH-SKU-${i % SKUS}`, quantity: 1, unitPriceCents: 1999 }],
    shipTo: { name: 'Bench Customer', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
  };
}

/** The Cosmos-protocol server in its own process (see cosmosServerProcess.ts). */
async function startCosmosProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'cosmosServerProcess.js')], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the Cosmos-protocol server exited with ${String(code)}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/** Requests the Cosmos-protocol server has served so far. */
function cosmosRequests(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message: { requests: number }) => resolve(message.requests));
    child.send('count');
  });
}

/** The outcomes whose Cosmos calls the bench counts, each with an order that takes that path. */
const OUTCOMES: { label: string; status: number; order: (i: number) => Order }[] = [
  { label: 'completed', status: 200, order },
  {
    label: 'rejected at A (no stock)',
    status: 400,
    order: (i) => ({ ...order(i), lines: [{ sku: 'BENCH-SOLD-OUT', quantity: 1, unitPriceCents: 1999 }] }),
  },
  { label: 'rejected at the credit check', status: 400, order: (i) => ({ ...order(i), customerId: 'bench-poor' }) },
  {
    label: 'rejected at C (not served)',
    status: 400,
    order: (i) => ({ ...order(i), shipTo: { ...order(i).shipTo, country: 'AQ' } }),
  },
];

/** Sums of a Prometheus histogram's `_sum` and `_count` lines over all its labels. */
type HistogramTotals = Record<'episodes' | 'commits' | 'activities', { seconds: number; count: number }>;
const HISTOGRAMS = {
  episodes: 'durable_orchestration_episode_seconds',
  commits: 'durable_store_commit_seconds',
  activities: 'durable_activity_execution_seconds',
} as const;

/** A metric's value summed over its labels (`name` with its suffix: `_sum`, `_count`, `_total`). */
function metricTotal(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name + ' ') || line.startsWith(name + '{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function metricsText(host: HostProcess): Promise<string> {
  return (await request(`${host.url}/admin/metrics`)).text;
}

/** The commit log's appends and the commits they carried, and the rows checkpoints wrote. */
const STORE_COUNTERS = {
  appends: 'durable_store_log_appends_total',
  commits: 'durable_store_log_commits_total',
  rows: 'durable_store_checkpoint_rows_total',
} as const;
type StoreCounts = Record<keyof typeof STORE_COUNTERS, number>;

async function storeCounts(host: HostProcess): Promise<StoreCounts> {
  const text = await metricsText(host);
  const of = (key: keyof StoreCounts): number => metricTotal(text, STORE_COUNTERS[key]);
  return { appends: of('appends'), commits: of('commits'), rows: of('rows') };
}

/** How the store's work grouped: commits per log append, and table rows per saga. */
function storeWork(before: StoreCounts, after: StoreCounts, sagas: number): string {
  const appends = after.appends - before.appends;
  const commits = after.commits - before.commits;
  return `${(commits / Math.max(appends, 1)).toFixed(1)} commits per log append (${(appends / sagas).toFixed(2)} appends per saga), ${((after.rows - before.rows) / sagas).toFixed(1)} table rows per saga by checkpoints`;
}

async function histogramTotals(host: HostProcess): Promise<HistogramTotals> {
  const text = await metricsText(host);
  const total = (name: string, suffix: '_sum' | '_count'): number => metricTotal(text, name + suffix);
  const of = (name: string): { seconds: number; count: number } => ({
    seconds: total(name, '_sum'),
    count: total(name, '_count'),
  });
  return { episodes: of(HISTOGRAMS.episodes), commits: of(HISTOGRAMS.commits), activities: of(HISTOGRAMS.activities) };
}

/** Where an unloaded saga's time goes on the host: per saga, how many of each and their mean. */
function breakdown(before: HistogramTotals, after: HistogramTotals, sagas: number): string {
  return (Object.keys(HISTOGRAMS) as (keyof HistogramTotals)[])
    .map((key) => {
      const count = after[key].count - before[key].count;
      const meanMs = ((after[key].seconds - before[key].seconds) / Math.max(count, 1)) * 1000;
      return `${(count / sagas).toFixed(1)} ${key} × ${meanMs.toFixed(1)} ms`;
    })
    .join(', ');
}

/**
 * CPU time a process has used so far (Linux /proc; clock ticks are 10 ms there), or NaN elsewhere.
 * /proc/<pid>/stat sums every thread of the process: the host's language worker threads count.
 */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = fs
      .readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function runPool(count: number, concurrency: number, one: (i: number) => Promise<number>): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) latencies.push(await one(next++));
    }),
  );
  return { latencies, wallMs: performance.now() - started };
}

/** One saga through the app's HTTP starter; latency = request sent → ExecutionCompleted committed. */
async function sagaOverHttp(
  host: HostProcess,
  i: number,
  pollMs: number,
  body: Order = order(i),
  expectedStatus = 200,
  startTimes?: number[],
): Promise<number> {
  const sent = Date.now();
  const response = await request(`${host.url}/api/orders`, { method: 'POST', json: body });
  startTimes?.push(Date.now() - sent);
  if (response.status !== 202) throw new Error(`start answered ${response.status}: ${response.text}`);
  const { id } = JSON.parse(response.text) as { id: string };
  const statusUrl = `${host.url}/runtime/webhooks/durabletask/instances/${id}`;
  for (;;) {
    const status = await getJson<{ runtimeStatus: string; output: { status: number } }>(statusUrl);
    if (status.runtimeStatus === 'Completed') {
      if (status.output.status !== expectedStatus)
        throw new Error(`saga ${id} ended with ${JSON.stringify(status.output)}`);
      // The completion's own timestamp, so the polling interval does not count.
      const full = await getJson<{ historyEvents: { EventType: string; Timestamp: string }[] }>(
        `${statusUrl}?showHistory=true`,
      );
      const completed = full.historyEvents.find((e) => e.EventType === 'ExecutionCompleted');
      if (!completed) throw new Error(`saga ${id} completed without an ExecutionCompleted event`);
      return new Date(completed.Timestamp).getTime() - sent;
    }
    if (status.runtimeStatus === 'Failed') throw new Error(`saga ${id} failed: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** What CPU alone allows the loaded host: every process of the run shares the machine's cores. */
function ceiling(allMs: number, floorPerSecond: number): string {
  const cores = os.cpus().length;
  const perSecond = (cores * 1000) / allMs;
  return `CPU ceiling (loaded): ${cores} cores over ${allMs.toFixed(1)} ms per saga in all processes = ${perSecond.toFixed(0)} sagas/s, ${(perSecond / floorPerSecond).toFixed(2)}x the floor`;
}

/** Where the loaded run's host CPU went: the profile's samples within the run, per saga, by component. */
function hostCpuByComponent(profileDir: string, fromUs: number, toUs: number, sagas: number): string {
  // --cpu-prof writes one profile per thread: the host's and each language worker's. Their clocks
  // are the process's one monotonic clock, so the run's window applies to each.
  const files = fs.readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) return `no CPU profile was written to ${profileDir}`;
  const byComponent = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
    for (const { component, ms } of cpuByComponent(profile, ROOT, fromUs, toUs))
      byComponent.set(component, (byComponent.get(component) ?? 0) + ms);
  }
  const components = [...byComponent].map(([component, ms]) => ({ component, ms })).sort((a, b) => b.ms - a.ms);
  const total = components.reduce((sum, c) => sum + c.ms, 0);
  const shown = components.slice(0, 18);
  const rest = components.slice(shown.length).reduce((sum, c) => sum + c.ms, 0);
  const row = (label: string, ms: number): string =>
    `  ${(ms / sagas).toFixed(2).padStart(6)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${label}`;
  return [
    `host CPU per saga by component, its language worker threads included (loaded, profiled, so slower than above): ${(total / sagas).toFixed(1)} ms; ${files.length} thread profile(s) in ${profileDir}`,
    ...shown.map((c) => row(c.component, c.ms)),
    ...(rest > 0 ? [row(`${components.length - shown.length} more`, rest)] : []),
  ].join('\n');
}

/** The task hub the app names in its host.json. */
function hubNameOfApp(): string {
  const hostJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'host.json'), 'utf8')) as {
    extensions: { durableTask: { hubName: string } };
  };
  return hostJson.extensions.durableTask.hubName;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sagas: { type: 'string', default: '400' },
      concurrency: { type: 'string', default: '32' },
      sequential: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '150' },
      'per-outcome': { type: 'string', default: '10' },
      // Another saga version than host.json's default, to compare paths in one sitting (e.g. 2.0).
      'saga-version': { type: 'string' },
      // Finished instances added to the hub before the restart whose ready time is measured last.
      finished: { type: 'string', default: '10000' },
      // Profile the host's CPU and print where the loaded run's CPU went, by component.
      profile: { type: 'boolean', default: false },
    },
  });
  const total = Number(values.sagas);
  const concurrency = Number(values.concurrency);
  const sequential = Number(values.sequential);
  const warmup = Number(values.warmup);
  const perOutcome = Number(values['per-outcome']);
  const finished = Number(values.finished);
  if (![total, concurrency, sequential, warmup, perOutcome].every((n) => Number.isInteger(n) && n > 0))
    throw new Error('--sagas, --concurrency, --sequential, --warmup and --per-outcome take positive whole numbers');
  if (!Number.isInteger(finished) || finished < 0) throw new Error('--finished takes a whole number');

  const azurite = await startAzurite({ location: undefined, searchFrom: [ROOT] });
  const cosmosServer = await startCosmosProcess();
  const settings = {
    COSMOS_ENDPOINT: cosmosServer.endpoint,
    COSMOS_KEY: 'local-emulator-key',
    COSMOS_DATABASE: 'saga-bench',
    AzureWebJobsStorage: developmentConnectionString(azurite.ports),
  };
  const cosmos = createCosmosClient(readCosmosSettings(settings));
  const stores = await ensureSagaContainers(cosmos, settings.COSMOS_DATABASE);
  for (let i = 0; i < SKUS; i++) {
    await stores.inventory.items.upsert(newStockDocument(`BENCH-SKU-${i}`, `Bench item ${i}`, 1_000_000));
    await stores.payments.items.upsert(
      newAccountDocument(`bench-cust-${i}`, `Bench ${i}`, 'EUR', 1_000_000_000_000, 1_000_000_000),
    );
  }
  await stores.shipments.items.upsert(newZoneDocument('NL', 'PostNL'));
  // For the outcomes other than success: a sold-out SKU and an account without money.
  await stores.inventory.items.upsert(newStockDocument('BENCH-SOLD-OUT', 'Sold out', 0));
  await stores.payments.items.upsert(newAccountDocument('bench-poor', 'Bench poor', 'EUR', 0, 1_000_000));

  const sagaVersion = values['saga-version'];
  const spawned = performance.now();
  const hostEnv =
    sagaVersion === undefined
      ? settings
      : { ...settings, AzureFunctionsJobHost__extensions__durableTask__defaultVersion: sagaVersion };
  const profileDir = values.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'saga-bench-profile-')) : undefined;
  const host = await startHostProcess(ROOT, hostEnv, {
    nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir],
  });
  const readyMs = performance.now() - spawned;
  const lines: string[] = [];
  try {
    const activities = createSagaActivities(() => Promise.resolve(stores));
    const floorSaga = async (i: number, run: string): Promise<number> => {
      const started = performance.now();
      const input = { sagaId: `floor-${run}-${i}`, order: order(i) };
      // The saga's work (v2 and v3): A, the credit check, B, C.
      for (const step of [
        activities.doActivityA,
        activities.checkCredit,
        activities.doActivityB,
        activities.doActivityC,
      ]) {
        const result = await step(input);
        if (!result.ok) throw new Error(`floor step failed: ${JSON.stringify(result)}`);
      }
      return performance.now() - started;
    };
    // Warm both paths (JIT, connections, caches) before measuring: a cold run is half as fast.
    const warm = warmup;
    await runPool(warm, concurrency, (i) => sagaOverHttp(host, i, 100));
    await runPool(warm, concurrency, (i) => floorSaga(i, 'warm'));

    const beforeSequential = await histogramTotals(host);
    const cosmosBeforeSequential = await cosmosRequests(cosmosServer.child);
    // How long the start takes to answer: its instance is durable by then, and episode 1 is running.
    const startTimes: number[] = [];
    const hostSequential = await runPool(sequential, 1, (i) => sagaOverHttp(host, i, 10, order(i), 200, startTimes));
    const cosmosPerSaga: string[] = [
      `completed ${(((await cosmosRequests(cosmosServer.child)) - cosmosBeforeSequential) / sequential).toFixed(1)}`,
    ];
    const perSaga = breakdown(beforeSequential, await histogramTotals(host), sequential);
    // Cosmos calls of the other outcomes, each run alone (sequentially) and counted on the server.
    for (const outcome of OUTCOMES.slice(1)) {
      const before = await cosmosRequests(cosmosServer.child);
      await runPool(perOutcome, 1, (i) => sagaOverHttp(host, i, 10, outcome.order(i), outcome.status));
      cosmosPerSaga.push(
        `${outcome.label} ${(((await cosmosRequests(cosmosServer.child)) - before) / perOutcome).toFixed(1)}`,
      );
    }
    const floorSequential = await runPool(sequential, 1, (i) => floorSaga(i, 'seq'));
    const cpuBefore = {
      host: cpuMsOf(host.child.pid),
      azurite: cpuMsOf(azurite.child.pid),
      cosmos: cpuMsOf(cosmosServer.child.pid),
    };
    const storeBefore = await storeCounts(host);
    const benchCpuBefore = process.cpuUsage();
    const loadedFromUs = Number(process.hrtime.bigint() / 1000n);
    const hostLoaded = await runPool(total, concurrency, (i) => sagaOverHttp(host, i, 100));
    const loadedToUs = Number(process.hrtime.bigint() / 1000n);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    // A scrape counts the hub's instances, which checkpoints first: the second scrape counts that checkpoint too.
    await metricsText(host);
    const storeLoaded = storeWork(storeBefore, await storeCounts(host), total);
    const since = (before: number, pid: number | undefined): number => (cpuMsOf(pid) - before) / total;
    const loadedCpu: Record<string, number> = {
      host: since(cpuBefore.host, host.child.pid),
      azurite: since(cpuBefore.azurite, azurite.child.pid),
      cosmos: since(cpuBefore.cosmos, cosmosServer.child.pid),
      // The bench's own requests: starts, status polls every 100 ms, the history read at the end.
      'the bench client': (benchCpu.user + benchCpu.system) / 1000 / total,
    };
    const cpuPerSaga = Object.entries(loadedCpu)
      .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
      .join(', ');
    const loadedCpuTotal = Object.values(loadedCpu).reduce((sum, ms) => sum + ms, 0);
    const floorCpuBefore = { bench: process.cpuUsage(), cosmos: cpuMsOf(cosmosServer.child.pid) };
    const floorLoaded = await runPool(total, concurrency, (i) => floorSaga(i, 'load'));
    const floorBenchCpu = process.cpuUsage(floorCpuBefore.bench);
    // The floor's work runs in this process: its CPU is what the same steps cost without orchestration.
    const floorCpuPerSaga = `bench process ${((floorBenchCpu.user + floorBenchCpu.system) / 1000 / total).toFixed(1)} ms, cosmos ${((cpuMsOf(cosmosServer.child.pid) - floorCpuBefore.cosmos) / total).toFixed(1)} ms`;

    const p50 = (s: Sample): number =>
      percentile(
        [...s.latencies].sort((a, b) => a - b),
        50,
      );
    const rate = (s: Sample): number => s.latencies.length / s.wallMs;
    lines.push(
      `Order saga${sagaVersion === undefined ? '' : ` v${sagaVersion}`}, ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores`,
      `host ready after spawn: ${readyMs.toFixed(0)} ms (Azurite already running)`,
      summary(`host, sequential (${sequential})`, hostSequential),
      `  per saga on the host (sequential): start answered 202 after ${percentile(
        [...startTimes].sort((a, b) => a - b),
        50,
      ).toFixed(0)} ms (p50), ${perSaga}`,
      `  Cosmos calls per saga by outcome (sequential): ${cosmosPerSaga.join(', ')}`,
      summary(`floor, sequential (${sequential})`, floorSequential),
      summary(`host, ${total} at concurrency ${concurrency}`, hostLoaded),
      `  CPU per saga (loaded): ${cpuPerSaga}`,
      `  store (loaded): ${storeLoaded}`,
      summary(`floor, ${total} at concurrency ${concurrency}`, floorLoaded),
      `  CPU per saga (loaded): ${floorCpuPerSaga}`,
      ceiling(loadedCpuTotal, rate(floorLoaded) * 1000),
      `ratios host/floor: unloaded p50 ${(p50(hostSequential) / p50(floorSequential)).toFixed(1)}x, throughput ${(rate(hostLoaded) / rate(floorLoaded)).toFixed(2)}x`,
    );
    console.log(lines.join('\n'));
    if (profileDir !== undefined) {
      await host.stop();
      console.log(hostCpuByComponent(profileDir, loadedFromUs, loadedToUs, total));
    }

    // What a restart reads: the hub holds every saga above; add finished instances and restart.
    await host.stop();
    const hub = new LogStructuredTaskHubStore(settings.AzureWebJobsStorage, hubNameOfApp());
    await hub.init();
    await addFinishedInstances(hub, finished);
    await hub.close();
    const respawned = performance.now();
    const restarted = await startHostProcess(ROOT, hostEnv);
    const restartMs = performance.now() - respawned;
    const resumed = /Resumed [^\n]*/.exec(restarted.output())?.[0] ?? 'nothing to resume';
    await restarted.stop();
    console.log(
      `host ready after a restart with ${finished} more finished instances in the hub: ${restartMs.toFixed(0)} ms (${resumed})`,
    );
  } finally {
    await host.stop();
    cosmos.dispose();
    await stopProcess(cosmosServer.child);
    await stopProcess(azurite.child);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

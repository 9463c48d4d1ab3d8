import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadHostConfig } from '../host/config/hostConfig';
import { EventType, type HistoryEvent } from '../host/durable/history/historyEvent';
import { recordedHistory } from '../host/replay/history/recordedHistory';
import { loadReplayApp } from '../host/replay/replayApp';
import { checkReplay } from '../host/replay/replayCheck';
import { reportText } from '../host/replay/reportText';
import { LogStructuredTaskHubStore } from '../host/store/logStructuredTaskHubStore';
import { sagaOrchestratorName } from '../src/saga/steps';
import { CosmosClient } from '@azure/cosmos';
import { createCosmosClient, readCosmosSettings } from '../src/services/cosmosClient';
import type { AccountDocument } from '../src/services/payment';
import { seedDemoData } from '../src/services/seedData';
import { startTestAzurite, type RunningAzurite } from '../test/support/azuriteProcess';
import { startCosmosServer, type CosmosTestServer } from '../test/support/cosmosServer';
import {
  documentWritesTo,
  startFaultyCosmosProxy,
  type Fault,
  type FaultyCosmosProxy,
} from '../test/support/faultyCosmosProxy';
import { startHostProcess, waitForStatus, type HostProcess } from '../test/support/hostProcess';

// Records the order saga's histories for the replay checks: every path of the saga run for real
// on the local host (Azurite, the Cosmos-protocol server behind the fault-injecting proxy), read
// back through the host's own task hub store, checked to replay, and written as fixtures.
//
//   npm run build && node dist/scripts/recordHistories.js [--out DIR] [--only PATH,...] [--versions current,v2,v1]
//
// Run it by hand after a deliberate change of the saga's shape, then review the fixture diff:
// re-recording is how a new orchestrator version's histories become the new baseline.

function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package-lock.json'))) dir = path.dirname(dir);
  return dir;
}

const ROOT = projectRoot();

type VersionName = 'current' | 'v2' | 'v1';
const ALL_VERSIONS: readonly VersionName[] = ['current', 'v2', 'v1'];
/** v1/v2 recordings keep the paths they were recorded with; v3 (current) adds its own. */
const OLD_VERSIONS: readonly VersionName[] = ['v2', 'v1'];

interface SagaPath {
  name: string;
  description: string;
  request: string;
  /** The phase (host settings) it runs in. */
  phase: 'normal' | 'deadline';
  /** The saga versions this path is recorded for. */
  versions: readonly VersionName[];
  fault?: { description: string; fault: () => Fault };
  /**
   * With a 'hold' fault: once a request is held, do this (e.g. change data behind the saga's back),
   * then let it through; or, with `afterCompletion`, let it through only once the saga has ended.
   */
  whileHeld?: { description: string; act: (cosmos: CosmosClient, database: string) => Promise<void> };
  /** With a 'hold' fault: let the held request through once the saga has compensated this step. */
  releaseOnceCompensated?: 'A' | 'B' | 'C';
  expect: { status: number; outcome: string; step?: string; cause?: string; needsAttention?: boolean };
}

/** The second read of an account document: the charge's own read, after the credit check's. */
function secondAccountRead(): (request: { method: string; path: string }) => boolean {
  let reads = 0;
  return ({ method, path: requestPath }) =>
    method === 'GET' && requestPath.includes('/colls/payments/docs/cust-') && ++reads === 2;
}

const PATHS: SagaPath[] = [
  {
    name: 'success',
    description: 'A, B and C succeed: the order is placed.',
    request: 'order-ok.json',
    phase: 'normal',
    versions: ALL_VERSIONS,
    expect: { status: 200, outcome: 'completed' },
  },
  {
    name: 'rejected-at-a',
    description: 'Step A refuses (no stock): nothing to compensate.',
    request: 'order-rejected-at-a-no-stock.json',
    phase: 'normal',
    versions: ALL_VERSIONS,
    expect: { status: 400, outcome: 'rejected', step: 'A' },
  },
  {
    name: 'rejected-at-b',
    description: 'Step B refuses (insufficient funds): A is compensated.',
    request: 'order-rejected-at-b-insufficient-funds.json',
    phase: 'normal',
    versions: OLD_VERSIONS,
    expect: { status: 400, outcome: 'rejected', step: 'B' },
  },
  {
    name: 'rejected-at-credit',
    description: 'The credit check before B refuses (insufficient funds): nothing is charged, A is compensated.',
    request: 'order-rejected-at-b-insufficient-funds.json',
    phase: 'normal',
    versions: ['current'],
    expect: { status: 400, outcome: 'rejected', step: 'B' },
  },
  {
    name: 'rejected-at-b',
    description:
      'The credit check passes, then the account is emptied before the charge reads it: the charge itself refuses (insufficient funds), A is compensated.',
    request: 'order-ok.json',
    phase: 'normal',
    versions: ['current'],
    fault: {
      description: "faulty Cosmos proxy: the charge's read of the account is held while the account is emptied",
      fault: () => ({ kind: { type: 'hold' }, matches: secondAccountRead() }),
    },
    whileHeld: {
      description: "the account's balance set to 0",
      act: async (cosmos, database) => {
        const account = cosmos.database(database).container('payments').item('cust-alice', 'cust-alice');
        const { resource } = await account.read<AccountDocument>();
        if (resource === undefined) throw new Error('no account cust-alice');
        await account.replace({ ...resource, balanceCents: 0 });
      },
    },
    expect: { status: 400, outcome: 'rejected', step: 'B' },
  },
  {
    name: 'rejected-at-c',
    description: 'Step C refuses (destination not served): B and A are compensated together.',
    request: 'order-rejected-at-c-not-served.json',
    phase: 'normal',
    versions: ALL_VERSIONS,
    expect: { status: 400, outcome: 'rejected', step: 'C' },
  },
  {
    name: 'retried-then-succeeded',
    description:
      "B's first attempt gets 503: the saga waits out the backoff on its own timer, races a second attempt against a fresh deadline timer, and it succeeds.",
    request: 'order-ok.json',
    phase: 'normal',
    versions: ['current'],
    fault: {
      description: 'faulty Cosmos proxy: 503 on the first write to the payments container',
      fault: () => ({ kind: { type: 'status', status: 503 }, times: 1, matches: documentWritesTo('payments') }),
    },
    expect: { status: 200, outcome: 'completed' },
  },
  {
    name: 'compensation-failed',
    description:
      "Every shipment write answers 503: step C fails after its retries, A and B are compensated, C's own compensation fails after its retries, an incident is recorded, the saga ends 500 needing attention.",
    request: 'order-ok.json',
    phase: 'normal',
    versions: ALL_VERSIONS,
    fault: {
      description: 'faulty Cosmos proxy: 503 on every write to the shipments container',
      fault: () => ({ kind: { type: 'status', status: 503 }, times: 1_000, matches: documentWritesTo('shipments') }),
    },
    expect: { status: 500, outcome: 'failed', step: 'C', cause: 'step-error', needsAttention: true },
  },
  {
    name: 'deadline',
    description:
      "Step A's first two attempts get 503, so the 2 s deadline fires while A is still retrying: the saga compensates A at once (nothing to undo yet, which fences A), A's last attempt then finds its reservation cancelled, and the saga ends 500 at the deadline.",
    request: 'order-ok.json',
    phase: 'deadline',
    versions: OLD_VERSIONS,
    fault: {
      description: 'faulty Cosmos proxy: 503 on the first two writes to the inventory container',
      fault: () => ({ kind: { type: 'status', status: 503 }, times: 2, matches: documentWritesTo('inventory') }),
    },
    expect: { status: 500, outcome: 'failed', step: 'A', cause: 'deadline' },
  },
  {
    name: 'retries-into-deadline',
    description:
      "Step A's first two attempts get 503: after the second the next attempt would start after the 2 s deadline, so the saga takes the deadline path at once and compensates A (nothing to undo, which fences A), 500.",
    request: 'order-ok.json',
    phase: 'deadline',
    versions: ['current'],
    fault: {
      description: 'faulty Cosmos proxy: 503 on the first two writes to the inventory container',
      fault: () => ({ kind: { type: 'status', status: 503 }, times: 2, matches: documentWritesTo('inventory') }),
    },
    expect: { status: 500, outcome: 'failed', step: 'A', cause: 'deadline' },
  },
  {
    name: 'running-at-deadline',
    description:
      "B's charge is held on its way to Cosmos, so the 2 s deadline timer wins B's race: the saga compensates B and A together (B's refund finds nothing and fences B). Let through then, the held charge meets the fence and answers payment-cancelled without committing; only then does the saga complete, 500 (an orchestration completes once every task it scheduled has answered or been cancelled).",
    request: 'order-ok.json',
    phase: 'deadline',
    versions: ['current'],
    fault: {
      description: "faulty Cosmos proxy: the charge's write to the account is held until B is compensated",
      fault: () => ({ kind: { type: 'hold' }, times: 1, matches: documentWritesTo('payments') }),
    },
    releaseOnceCompensated: 'B',
    expect: { status: 500, outcome: 'failed', step: 'B', cause: 'deadline' },
  },
];

/** Short retries keep a recording to seconds; the deadline phase stalls step A past a 2 s deadline. */
const PHASE_SETTINGS: Record<SagaPath['phase'], Record<string, string>> = {
  normal: {
    SAGA_DEADLINE: 'PT5M',
    SAGA_RETRY_FIRST_INTERVAL: 'PT0.5S',
    SAGA_RETRY_MAX_INTERVAL: 'PT1S',
    SAGA_RETRY_BACKOFF_COEFFICIENT: '2',
    SAGA_STEP_MAX_ATTEMPTS: '2',
    SAGA_COMPENSATION_MAX_ATTEMPTS: '2',
  },
  deadline: {
    SAGA_DEADLINE: 'PT2S',
    SAGA_RETRY_FIRST_INTERVAL: 'PT1.5S',
    SAGA_RETRY_MAX_INTERVAL: 'PT5S',
    SAGA_RETRY_BACKOFF_COEFFICIENT: '2',
    SAGA_STEP_MAX_ATTEMPTS: '3',
    SAGA_COMPENSATION_MAX_ATTEMPTS: '2',
  },
};

interface SagaOutput {
  status: number;
  body: { outcome?: string; step?: string; cause?: string; needsAttention?: boolean };
}

/** Pretty JSON with one history event per line, so a re-recording diffs event by event. */
function fixtureText(fixture: Record<string, unknown>): string {
  const histories: HistoryEvent[][] = [];
  const text = JSON.stringify(
    fixture,
    (key, value: unknown) => {
      if (key !== 'history' || !Array.isArray(value)) return value;
      histories.push(value as HistoryEvent[]);
      return `@@history-${histories.length - 1}@@`;
    },
    2,
  );
  const lines = text.replace(/^( *)"history": "@@history-(\d+)@@"/gm, (_match, indent: string, index: string) => {
    const events = histories[Number(index)].map((e) => `${indent}  ${JSON.stringify(e)}`).join(',\n');
    return `${indent}"history": [\n${events}\n${indent}]`;
  });
  return `${lines}\n`;
}

interface RecordedInstance {
  instanceId: string;
  orchestrator: string;
  history: HistoryEvent[];
}

/** The sub-orchestrations an instance started, and theirs, in the order they were started. */
async function subOrchestrations(
  store: LogStructuredTaskHubStore,
  history: HistoryEvent[],
): Promise<RecordedInstance[]> {
  const found: RecordedInstance[] = [];
  for (const e of history) {
    if (e.EventType !== EventType.SubOrchestrationInstanceCreated || !e.InstanceId) continue;
    const child = await store.getInstance(e.InstanceId);
    if (!child) throw new Error(`sub-orchestration ${e.InstanceId} is not in the task hub`);
    const childHistory = await store.getHistory(child.value);
    found.push(
      { instanceId: e.InstanceId, orchestrator: child.value.name, history: childHistory },
      ...(await subOrchestrations(store, childHistory)),
    );
  }
  return found;
}

/** Which version of the saga the instances start as (host.json `defaultVersion`, overridden by setting). */
interface SagaVersion {
  /** Sub-folder of the output directory ('' = the directory itself). */
  folder: string;
  /** Instance id prefix, so every recording has its own id. */
  idPrefix: string;
  /** undefined: the app's host.json `defaultVersion`; else this one. */
  defaultVersion: string | undefined;
  description: string;
}

const VERSIONS: Record<VersionName, SagaVersion> = {
  current: {
    folder: '',
    idPrefix: 'replay-',
    defaultVersion: undefined,
    description: "the app's defaultVersion (host.json)",
  },
  // Sagas already running when a new version ships keep their paths: their recordings must keep
  // replaying against the new code, which is what versioning the orchestrator promises.
  v2: {
    folder: 'v2',
    idPrefix: 'replay-v2-',
    defaultVersion: '2.0',
    description: 'v2: steps in sagaStep sub-orchestrations, a credit check before the charge',
  },
  v1: {
    folder: 'v1',
    idPrefix: 'replay-v1-',
    defaultVersion: '',
    description: 'started before versions existed (the v1 path)',
  },
};

async function runPath(
  sagaPath: SagaPath,
  instanceId: string,
  host: HostProcess,
  proxy: FaultyCosmosProxy,
  readHub: () => Promise<LogStructuredTaskHubStore>,
  cosmosClient: CosmosClient,
  cosmosDatabase: string,
): Promise<{ output: SagaOutput; history: HistoryEvent[] }> {
  proxy.clear();
  if (sagaPath.fault) proxy.inject(sagaPath.fault.fault());
  const heldBefore = proxy.served.hold;
  const body = fs.readFileSync(path.join(ROOT, 'examples/orders', sagaPath.request), 'utf8');
  const response = await fetch(`${host.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': instanceId },
    body,
  });
  if (response.status !== 202)
    throw new Error(`${instanceId}: POST /api/orders answered ${response.status}: ${await response.text()}`);
  const { statusQueryGetUri } = (await response.json()) as { statusQueryGetUri: string };
  if (sagaPath.whileHeld) {
    const deadline = Date.now() + 30_000;
    while (proxy.served.hold === heldBefore) {
      if (Date.now() > deadline) throw new Error(`${instanceId}: the request to hold never came`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sagaPath.whileHeld.act(cosmosClient, cosmosDatabase);
    proxy.release();
  }
  const compensatedStep = sagaPath.releaseOnceCompensated;
  if (compensatedStep !== undefined) {
    await waitForStatus(
      statusQueryGetUri,
      (s) =>
        (s as { customStatus?: { steps?: { step: string; status: string }[] } }).customStatus?.steps?.some(
          (step) => step.step === compensatedStep && step.status === 'compensated',
        ) === true,
      60_000,
    );
    proxy.release();
  }
  const status = await waitForStatus(statusQueryGetUri, undefined, 60_000);
  proxy.clear();
  if (status.runtimeStatus !== 'Completed')
    throw new Error(`${instanceId}: the saga ended ${status.runtimeStatus}: ${JSON.stringify(status.output)}`);
  const output = status.output as SagaOutput;
  const got = {
    status: output.status,
    outcome: output.body.outcome,
    step: output.body.step,
    cause: output.body.cause,
    needsAttention: output.body.needsAttention,
  };
  for (const [key, value] of Object.entries(sagaPath.expect)) {
    if (got[key as keyof typeof got] !== value)
      throw new Error(`${instanceId}: expected ${key} ${String(value)}, the saga gave ${JSON.stringify(got)}`);
  }
  const store = await readHub();
  const found = await store.getInstance(instanceId);
  if (!found) throw new Error(`${instanceId}: the instance is not in the task hub`);
  return { output, history: await store.getHistory(found.value) };
}

const USAGE = `npm run build && node dist/scripts/recordHistories.js [--out DIR] [--only PATH,...] [--versions current,v2,v1]
  paths: ${PATHS.map((p) => p.name).join(', ')}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      only: { type: 'string' },
      versions: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const outDir = path.resolve(ROOT, values.out ?? 'test/fixtures/histories');
  const only = values.only?.split(',').map((s) => s.trim());
  const selected = PATHS.filter((p) => !only || only.includes(p.name));
  if (selected.length === 0)
    throw new Error(`--only names no path; the paths are: ${PATHS.map((p) => p.name).join(', ')}`);
  const versionNames = (values.versions?.split(',').map((s) => s.trim()) ?? Object.keys(VERSIONS)) as VersionName[];
  const unknown = versionNames.filter((name) => !(name in VERSIONS));
  if (unknown.length > 0)
    throw new Error(`--versions: no version ${unknown.join(', ')}; they are ${Object.keys(VERSIONS).join(', ')}`);

  let azurite: RunningAzurite | undefined;
  let cosmos: CosmosTestServer | undefined;
  let proxy: FaultyCosmosProxy | undefined;
  let host: HostProcess | undefined;
  let cosmosClient: CosmosClient | undefined;
  try {
    azurite = await startTestAzurite();
    cosmos = await startCosmosServer();
    proxy = await startFaultyCosmosProxy(cosmos.endpoint);
    const database = 'saga-replay-recording';
    const cosmosSettings = readCosmosSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_DATABASE: database,
    });
    await seedDemoData({ settings: cosmosSettings });
    cosmosClient = createCosmosClient(cosmosSettings);
    const hubName = loadHostConfig(
      { appDir: ROOT },
      { ...process.env, AzureWebJobsStorage: azurite.connectionString },
    ).hubName;
    // The host runs and owns the hub: read it as a reader, opened afresh for each read so the
    // newest episodes, still only in the host's commit log, are seen too.
    const storage = azurite.connectionString;
    const readHub = async (): Promise<LogStructuredTaskHubStore> => {
      const reader = new LogStructuredTaskHubStore(storage, hubName, { role: 'reader' });
      await reader.init();
      return reader;
    };
    const app = loadReplayApp(ROOT);

    for (const versionName of versionNames) {
      const version = VERSIONS[versionName];
      const dir = path.join(outDir, version.folder);
      fs.mkdirSync(dir, { recursive: true });
      for (const phase of ['normal', 'deadline'] as const) {
        const paths = selected.filter((p) => p.phase === phase && p.versions.includes(versionName));
        if (paths.length === 0) continue;
        const settings: Record<string, string> = {
          AzureWebJobsStorage: azurite.connectionString,
          COSMOS_ENDPOINT: proxy.endpoint,
          COSMOS_KEY: cosmos.key,
          COSMOS_DATABASE: database,
          ...PHASE_SETTINGS[phase],
        };
        if (version.defaultVersion !== undefined)
          settings.AzureFunctionsJobHost__extensions__durableTask__defaultVersion = version.defaultVersion;
        host = await startHostProcess(ROOT, settings);
        for (const sagaPath of paths) {
          const started = Date.now();
          const instanceId = `${version.idPrefix}${sagaPath.name}`;
          const { output, history } = await runPath(
            sagaPath,
            instanceId,
            host,
            proxy,
            readHub,
            cosmosClient,
            database,
          ).catch((error: unknown) => {
            // Whatever went wrong, the host's own log usually says why.
            const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
            throw new Error(
              `${instanceId}: ${error instanceof Error ? error.message : String(error)}${cause}\nThe host said:\n${host?.output().split('\n').slice(-20).join('\n') ?? ''}`,
            );
          });
          // The data changed behind the saga's back is put back for the paths after it.
          if (sagaPath.whileHeld) await seedDemoData({ settings: cosmosSettings, reset: true });
          const file = path.join(dir, `${sagaPath.name}.json`);
          const children = await subOrchestrations(await readHub(), history);
          // A recording that does not replay against the code that made it is a host bug: keep it out.
          let scheduled = 0;
          for (const instance of [{ instanceId, history }, ...children]) {
            const report = await checkReplay(
              app,
              recordedHistory(instance.history, `${file} (${instance.instanceId})`),
            );
            if (!report.ok)
              throw new Error(`${instanceId}: the recorded history does not replay:\n${reportText(report).join('\n')}`);
            scheduled += report.scheduledCount;
          }
          const fixture = {
            $comment:
              'Recorded by scripts/recordHistories.ts from a real run of the order saga on the local host; replayed by test/unit/replay/recordedSagaHistories.test.ts. Re-record, do not edit.',
            path: sagaPath.name,
            description: sagaPath.description,
            version: `${JSON.stringify(history.find((e) => e.EventType === EventType.ExecutionStarted)?.Version ?? '')}: ${version.description}`,
            request: `examples/orders/${sagaPath.request}`,
            settings: PHASE_SETTINGS[phase],
            ...(sagaPath.fault ? { fault: sagaPath.fault.description } : {}),
            ...(sagaPath.whileHeld ? { whileHeld: sagaPath.whileHeld.description } : {}),
            recordedAt: new Date().toISOString(),
            instanceId,
            orchestrator: sagaOrchestratorName,
            output,
            history,
            ...(children.length > 0 ? { subOrchestrations: children } : {}),
          };
          fs.writeFileSync(file, fixtureText(fixture));
          console.log(
            `${path.relative(ROOT, file)}: ${history.length} events, ${children.length} sub-orchestration(s), ${scheduled} scheduled steps, saga status ${output.status}, recorded in ${Date.now() - started} ms`,
          );
        }
        await host.stop();
        host = undefined;
      }
    }
  } finally {
    await host?.stop();
    cosmosClient?.dispose();
    await proxy?.stop();
    await cosmos?.stop();
    await azurite?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`recordHistories: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

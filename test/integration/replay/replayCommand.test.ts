import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { developmentConnectionString } from '../../../host/azurite';
import { EventType, type HistoryEvent } from '../../../host/durable/history/historyEvent';
import { readHistoryFile } from '../../../host/replay/history/historyFile';
import { LogStructuredTaskHubStore } from '../../../host/store/logStructuredTaskHubStore';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { writeAzureStorageHistory } from './azureStorageHubRows';

// `npm run replay` as a user runs it (the built dist/scripts/replay.js against the built app):
// history files, and instances read from a task hub on a real Azurite in both layouts. Exit codes:
// 0 match, 1 no match, 2 bad usage, 3 could not check; errors are one line.

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/scripts/replay.js');
const FIXTURES = path.join(ROOT, 'test/fixtures/histories');
const CHANGED_APP = path.join(ROOT, 'test/fixtures/apps/changedSaga');
let azurite: RunningAzurite;
let scratch: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function replay(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function fixture(name: string): string {
  return path.join(FIXTURES, `${name}.json`);
}

function sagaEvents(name: string): HistoryEvent[] {
  return readHistoryFile(fixture(name))[0].events;
}

function executionIdOf(events: HistoryEvent[]): string {
  return events.find((e) => e.EventType === EventType.ExecutionStarted)?.OrchestrationInstance?.ExecutionId ?? '';
}

function expectOneErrorLine(run: Run, code: number, message: RegExp): void {
  expect(run.code, run.stdout + run.stderr).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^replay: /);
  expect(lines[0]).toMatch(message);
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-command-'));
  // The saga's own task hub on the local host, as `npm start` leaves it.
  const events = sagaEvents('success');
  const started = events.find((e) => e.EventType === EventType.ExecutionStarted)!;
  const store = new LogStructuredTaskHubStore(azurite.connectionString, 'DurableSagaHub');
  await store.init();
  const at = new Date(started.Timestamp);
  await store.commitEpisode({
    record: {
      instanceId: 'replay-success',
      name: started.Name ?? '',
      version: started.Version ?? '',
      executionId: executionIdOf(events),
      runtimeStatus: 'Completed',
      createdTime: at,
      lastUpdatedTime: at,
      completedTime: at,
      input: started.Input ?? null,
      output: null,
      customStatus: null,
      parent: null,
      generation: 0,
      historyChunks: 1,
    },
    etag: undefined,
    newHistory: events,
    historyRow: { executionId: executionIdOf(events), index: 0 },
    consumedMessageIds: [],
  });
  // A deployed app's hub: the Azure Storage provider's rows, the input moved to a blob.
  const deployed = sagaEvents('rejected-at-c');
  await writeAzureStorageHistory({
    connectionString: azurite.connectionString,
    hubName: 'DeployedSagaHub',
    instanceId: 'replay-rejected-at-c',
    executionId: executionIdOf(deployed),
    events: deployed,
    inBlobs: [[deployed.findIndex((e) => e.EventType === EventType.ExecutionStarted), 'Input']],
  });
});

afterAll(async () => {
  await azurite?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('history files', () => {
  it('every recorded saga path replays against the current code: exit 0, one ok line each', async () => {
    const files = fs
      .readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(FIXTURES, f));
    // v3 (9 paths), v2/ and v1/ (6 each).
    expect(files).toHaveLength(21);
    const histories = files.flatMap((file) => readHistoryFile(file)).length;
    const run = await replay(files);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const verdicts = run.stdout.split('\n').filter((line) => /^\S/.test(line));
    expect(verdicts).toHaveLength(histories);
    for (const line of verdicts) expect(line).toMatch(/^ok: /);
  });

  it('against a deliberately changed saga: exit 1, naming the first step that differs', async () => {
    const events = sagaEvents('success');
    const position = events.findIndex(
      (e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated,
    );
    const run = await replay(['--app', CHANGED_APP, fixture('success')]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `MISMATCH: sagaOrchestrator instance 'replay-success' (${fixture('success')}): the current code does not replay this history.`,
    );
    expect(run.stdout).toContain(`  first difference at event ${position}, sequence id 0:`);
    expect(run.stdout).toContain(
      `    expected (history):   ${events[position].EventType === EventType.TaskScheduled ? 'activity' : 'sub-orchestration'} '${String(events[position].Name)}'`,
    );
    expect(run.stdout).toContain("    actual (code now):    activity 'screenOrder'");
  });

  it('--json prints the reports', async () => {
    const run = await replay(['--json', fixture('rejected-at-a')]);
    expect(run.code).toBe(0);
    const [report] = JSON.parse(run.stdout) as { ok: boolean; orchestrator: string; recorded: { state: string } }[];
    expect(report).toMatchObject({ ok: true, orchestrator: 'sagaOrchestrator', recorded: { state: 'completed' } });
  });

  it('a history naming an orchestrator the app lacks: exit 1, one line', async () => {
    const file = path.join(scratch, 'renamed.json');
    const events = sagaEvents('success').map((e) =>
      e.EventType === EventType.ExecutionStarted ? { ...e, Name: 'orderSagaV0' } : e,
    );
    fs.writeFileSync(file, JSON.stringify(events));
    const run = await replay([file]);
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^orderSagaV0 instance 'replay-success' \(.*renamed\.json\): The app has no orchestrator named 'orderSagaV0' \(it has: .*sagaOrchestrator.*\)\.$/,
      ),
    ]);
  });

  it('a file that is not a history: exit 2', async () => {
    const file = path.join(scratch, 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ Values: {} }));
    expectOneErrorLine(
      await replay([file]),
      2,
      /settings\.json is not a history: expected an array of history events or an object with a "history" array\.$/,
    );
  });

  it('a file that does not exist: exit 2', async () => {
    expectOneErrorLine(
      await replay([path.join(scratch, 'nope.json')]),
      2,
      /Cannot read the history file .*nope\.json: there is no such file\./,
    );
  });

  it('an app that cannot be loaded: exit 3', async () => {
    expectOneErrorLine(await replay(['--app', scratch, fixture('success')]), 3, /No package\.json found in /);
  });
});

describe('instances in a task hub', () => {
  it("the local host's hub, named by the app's host.json: exit 0", async () => {
    const run = await replay(['--instance', 'replay-success', '--connection', azurite.connectionString]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^ok: sagaOrchestrator instance 'replay-success' \(task hub DurableSagaHub, instance 'replay-success'\): /,
    );
  });

  it('the connection from AzureWebJobsStorage, which the environment sets over local.settings.json', async () => {
    const run = await replay(['--instance', 'replay-success'], { AzureWebJobsStorage: azurite.connectionString });
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it("a deployed app's Azure Storage hub: exit 0, and 1 against the changed saga", async () => {
    const args = [
      '--instance',
      'replay-rejected-at-c',
      '--hub',
      'DeployedSagaHub',
      '--connection',
      azurite.connectionString,
    ];
    const run = await replay(args);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^ok: sagaOrchestrator instance 'replay-rejected-at-c' \(task hub DeployedSagaHub \(Azure Storage provider layout\), instance 'replay-rejected-at-c'\)/,
    );
    const changed = await replay([...args, '--app', CHANGED_APP, '--layout', 'azure-storage']);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("    actual (code now):    activity 'screenOrder'");
  });

  it('an instance that does not exist: exit 2', async () => {
    expectOneErrorLine(
      await replay(['--instance', 'no-such-order', '--connection', azurite.connectionString]),
      2,
      /Task hub 'DurableSagaHub' has no instance 'no-such-order'/,
    );
  });

  it('a hub that does not exist: exit 2', async () => {
    expectOneErrorLine(
      await replay(['--instance', 'replay-success', '--hub', 'NoSuchHub', '--connection', azurite.connectionString]),
      2,
      /Task hub 'NoSuchHub' does not exist at /,
    );
  });

  it('storage that does not answer: exit 3', async () => {
    const port = await closedPort();
    const connection = developmentConnectionString({ blob: port, queue: port, table: port });
    expectOneErrorLine(
      await replay(['--instance', 'replay-success', '--connection', connection]),
      3,
      /Azure Storage at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 does not answer/,
    );
  });
});

describe('bad usage: exit 2, one line', () => {
  const cases: [string, string[], RegExp][] = [
    ['nothing to replay', [], /Name a history file, or an instance with --instance ID\./],
    ['an unknown flag', ['--bogus', 'x.json'], /Unknown option '--bogus'/],
    [
      'both files and an instance',
      ['--instance', 'a', 'b.json'],
      /Give either history files or --instance, not both\./,
    ],
    [
      'a layout that does not exist',
      ['--instance', 'a', '--layout', 'sideways'],
      /--layout must be host or azure-storage, not 'sideways'\./,
    ],
    ['a hub without an instance', ['--hub', 'H', 'x.json'], /--hub only applies with --instance\./],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      expectOneErrorLine(await replay(args), 2, message);
    });
  }

  it('--help: exit 0', async () => {
    const run = await replay(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage:\n {2}replay <history\.json>\.\.\. \[--app DIR\]/);
  });
});

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

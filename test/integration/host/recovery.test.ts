import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyEvents, OrchestrationStatus } from '../../../host/durable/history/historyEvent';
import { LogStructuredTaskHubStore } from '../../../host/store/logStructuredTaskHubStore';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';

// What a restart reads: the unfinished instances and their open work, never the finished ones,
// however many the task hub holds; a waiting parent still hears from a child that had finished.
const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
const HUB = 'FeaturesHub';
let azurite: RunningAzurite;
let host: HostProcess | undefined;

beforeAll(async () => {
  azurite = await startTestAzurite();
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const api = (p: string): string => `${host?.url ?? ''}/runtime/webhooks/durabletask/${p}`;

describe('a host restarting on a task hub', () => {
  it('resumes only the unfinished instances, not the finished ones or their sub-orchestrations', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    host = await startHostProcess(APP, env);
    for (let i = 0; i < 6; i++) {
      await fetch(api(`orchestrators/parent/done-${i}`), { method: 'POST' });
      await fetch(api(`orchestrators/sequence/seq-${i}`), { method: 'POST', body: '["a"]' });
    }
    for (let i = 0; i < 6; i++) {
      await waitForStatus(api(`instances/done-${i}`));
      await waitForStatus(api(`instances/seq-${i}`));
    }
    for (const id of ['waiting-1', 'waiting-2'])
      expect((await fetch(api(`orchestrators/waitForever/${id}`), { method: 'POST' })).status).toBe(202);
    await waitForStatus(api('instances/waiting-2'), (s) => s.runtimeStatus === 'Running');
    await host.stop();

    host = await startHostProcess(APP, env);
    expect(host.output()).toMatch(/Resumed 2 unfinished instance\(s\) and 0 waiting message\(s\)/);
    const raised = await fetch(api('instances/waiting-1/raiseEvent/Go'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"go"',
    });
    expect(raised.status).toBe(202);
    expect(await waitForStatus(api('instances/waiting-1'))).toMatchObject({ runtimeStatus: 'Completed', output: 'go' });
    await host.stop();
    host = undefined;
  });

  it('gives a waiting parent the answer of a child that finished before the host went down', async () => {
    // The state a kill leaves between the child's last commit and its parent's next one: the
    // parent's history has the child created and unanswered, the child's record says Completed.
    const store = new LogStructuredTaskHubStore(azurite.connectionString, HUB);
    await store.init();
    const at = new Date();
    const parentExecution = 'e0000000000000000000000000000001';
    const childExecution = 'e0000000000000000000000000000002';
    const parentRecord = {
      instanceId: 'orphaned',
      name: 'parent',
      version: '',
      executionId: parentExecution,
      runtimeStatus: 'Running' as const,
      createdTime: at,
      lastUpdatedTime: at,
      completedTime: null,
      input: null,
      output: null,
      customStatus: null,
      parent: null,
      generation: 0,
      historyChunks: 1,
    };
    await store.commitEpisode({
      record: parentRecord,
      etag: undefined,
      newHistory: [
        historyEvents.orchestratorStarted(at),
        historyEvents.executionStarted(at, parentRecord),
        historyEvents.subOrchestrationCreated(at, 0, 'child', 'orphaned-child', '{"n":21}', ''),
        historyEvents.orchestratorCompleted(at),
      ],
      historyRow: { executionId: parentExecution, index: 0 },
      consumedMessageIds: [],
    });
    const childRecord = {
      ...parentRecord,
      instanceId: 'orphaned-child',
      name: 'child',
      executionId: childExecution,
      runtimeStatus: 'Completed' as const,
      completedTime: at,
      input: '{"n":21}',
      output: '{"child":"orphaned-child","doubled":42}',
      parent: {
        Name: 'parent',
        Version: '',
        TaskScheduleId: 0,
        OrchestrationInstance: { InstanceId: 'orphaned', ExecutionId: parentExecution },
      },
    };
    await store.commitEpisode({
      record: childRecord,
      etag: undefined,
      newHistory: [
        historyEvents.orchestratorStarted(at),
        historyEvents.executionStarted(at, childRecord),
        historyEvents.executionCompleted(at, 0, OrchestrationStatus.Completed, childRecord.output),
        historyEvents.orchestratorCompleted(at),
      ],
      historyRow: { executionId: childExecution, index: 0 },
      consumedMessageIds: [],
    });
    await store.close();

    host = await startHostProcess(APP, { AzureWebJobsStorage: azurite.connectionString });
    const parent = await waitForStatus(api('instances/orphaned'));
    expect(parent).toMatchObject({
      runtimeStatus: 'Completed',
      output: { ok: { child: 'orphaned-child', doubled: 42 } },
    });
    // The child was answered from its record, not run again.
    const child = (await (await fetch(api('instances/orphaned-child?showHistory=true'))).json()) as {
      historyEvents: { EventType: string }[];
    };
    expect(child.historyEvents.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'ExecutionCompleted']);
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let azurite: RunningAzurite;
let host: HostProcess | undefined;

beforeAll(async () => {
  // Azurite runs as its own process: killing the host must never take the store with it.
  azurite = await startTestAzurite();
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

interface HistoryView {
  runtimeStatus: string;
  output: unknown;
  historyEvents: { EventType: string }[];
}

describe('a host killed with -9 at random moments', () => {
  it('loses no instance and records every event exactly once', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    host = await startHostProcess(APP, env);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const id = `crash-${i}`;
      ids.push(id);
      const orchestration = i % 3 === 0 ? 'fanOut' : 'sequence';
      const body = orchestration === 'fanOut' ? '12' : JSON.stringify(names);
      const started = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/${orchestration}/${id}`, { method: 'POST', body });
      expect(started.status).toBe(202);
    }
    // Kill at random points while the instances run, restart, and do it again.
    let resumed = 0;
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 150));
      await host.kill();
      host = await startHostProcess(APP, env);
      if (/Resumed [1-9]\d* unfinished instance/.test(host.output())) resumed++;
    }
    // The kills really interrupted work that the restarts then picked up.
    expect(resumed).toBeGreaterThan(0);
    for (const [i, id] of ids.entries()) {
      const status = (await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)) as unknown as HistoryView;
      expect({ id, runtimeStatus: status.runtimeStatus }).toEqual({ id, runtimeStatus: 'Completed' });
      const expected = i % 3 === 0 ? 66 : names.map((n) => `Hello ${n}`);
      expect(status.output).toEqual(expected);
      const full = (await (await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`)).json()) as HistoryView;
      const count = (type: string): number => full.historyEvents.filter((e) => e.EventType === type).length;
      expect({ id, started: count('ExecutionStarted'), completed: count('ExecutionCompleted'), tasks: count('TaskCompleted') }).toEqual({
        id,
        started: 1,
        completed: 1,
        tasks: i % 3 === 0 ? 12 : names.length,
      });
      // Nothing left scheduled without its answer.
      expect(count('TaskScheduled')).toBe(0);
    }
  });
});

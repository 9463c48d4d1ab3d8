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
  it('loses no instance and records every event exactly once (40 instances)', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    host = await startHostProcess(APP, env);
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const ids = Array.from({ length: 40 }, (_, i) => `crash-${i}`);
    const url = host.url;
    // Activities fanned out, activities in sequence, and sub-orchestrations (one of which fails).
    const kind = (i: number): 'fanOut' | 'parent' | 'sequence' =>
      i % 3 === 0 ? 'fanOut' : i % 5 === 1 ? 'parent' : 'sequence';
    const starts = await Promise.all(
      ids.map((id, i) =>
        fetch(`${url}/runtime/webhooks/durabletask/orchestrators/${kind(i)}/${id}`, {
          method: 'POST',
          body: kind(i) === 'fanOut' ? '12' : kind(i) === 'sequence' ? JSON.stringify(names) : '',
        }),
      ),
    );
    expect(starts.map((r) => r.status)).toEqual(ids.map(() => 202));
    // Kill at random points while the instances run, restart, and do it again.
    let resumed = 0;
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 100));
      await host.kill();
      host = await startHostProcess(APP, env);
      if (/Resumed [1-9]\d* unfinished instance/.test(host.output())) resumed++;
    }
    // The kills really interrupted work that the restarts then picked up.
    expect(resumed).toBeGreaterThan(0);
    for (const [i, id] of ids.entries()) {
      const status = (await waitForStatus(
        `${host.url}/runtime/webhooks/durabletask/instances/${id}`,
      )) as unknown as HistoryView;
      expect({ id, runtimeStatus: status.runtimeStatus }).toEqual({ id, runtimeStatus: 'Completed' });
      if (kind(i) === 'parent') {
        expect(status.output).toMatchObject({ ok: { child: `${id}-child`, doubled: 42 } });
        expect((status.output as { failure: string }).failure).toContain('child failed on purpose');
        continue;
      }
      expect(status.output).toEqual(kind(i) === 'fanOut' ? 66 : names.map((n) => `Hello ${n}`));
      const full = (await (
        await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`)
      ).json()) as HistoryView;
      const count = (type: string): number => full.historyEvents.filter((e) => e.EventType === type).length;
      expect({
        id,
        started: count('ExecutionStarted'),
        completed: count('ExecutionCompleted'),
        tasks: count('TaskCompleted'),
      }).toEqual({
        id,
        started: 1,
        completed: 1,
        tasks: kind(i) === 'fanOut' ? 12 : names.length,
      });
      // Nothing left scheduled without its answer.
      expect(count('TaskScheduled')).toBe(0);
    }
  });
});

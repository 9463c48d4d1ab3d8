import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let setup: HostOnAzurite;
let host: HostProcess;

beforeAll(async () => {
  setup = await startHostOnAzurite(APP);
  host = setup.host;
});

afterAll(async () => {
  await setup?.stop();
});

/** One sample's value from a Prometheus text scrape (0 when absent). */
function sample(scrape: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([^{\s]+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return 0;
}

async function scrape(): Promise<string> {
  const response = await fetch(`${host.url}/admin/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

async function run(name: string, id: string, input: unknown): Promise<void> {
  await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/${name}/${id}`, {
    method: 'POST',
    body: JSON.stringify(input),
  });
  await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/${id}`);
}

describe('host metrics at /admin/metrics', () => {
  it('count instances, episodes, activities and commits as orchestrations run', async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) await run('sequence', `metrics-${i}`, ['x', 'y']);
    await run('retrying', 'metrics-retry', { key: 'metrics', failures: 1, attempts: 2 });
    const after = await scrape();

    expect(sample(after, 'durable_instances', { runtime_status: 'Completed' })).toBe(4);
    expect(sample(after, 'durable_instances', { runtime_status: 'Running' })).toBe(0);
    const completedHello = (s: string): number =>
      sample(s, 'durable_activity_executions_total', { activity: 'hello', outcome: 'completed' });
    expect(completedHello(after) - completedHello(before)).toBe(6);
    expect(sample(after, 'durable_activity_executions_total', { activity: 'flaky', outcome: 'failed' })).toBe(1);
    expect(sample(after, 'durable_activity_execution_seconds_count', { activity: 'hello', outcome: 'completed' })).toBe(
      6,
    );
    // sequence: start + one episode per activity; retrying: start, failure, timer, success.
    expect(sample(after, 'durable_orchestration_episode_seconds_count', { orchestrator: 'sequence' })).toBe(9);
    expect(sample(after, 'durable_store_commit_seconds_count')).toBeGreaterThanOrEqual(13);
    expect(after).toMatch(/durable_work_waiting\{kind="episodes"\} 0/);

    // Every commit went through the log, and the scrape's instance count checkpointed them.
    const appended =
      sample(after, 'durable_store_log_commits_total') - sample(before, 'durable_store_log_commits_total');
    expect(appended).toBeGreaterThanOrEqual(13);
    expect(sample(after, 'durable_store_log_appends_total')).toBeGreaterThanOrEqual(1);
    const checkpointed = await scrape();
    expect(sample(checkpointed, 'durable_store_checkpoint_rows_total')).toBeGreaterThan(0);
    expect(sample(checkpointed, 'durable_store_checkpoint_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('is outside the app’s routes and answers 404 to anything but GET, like every route of the host', async () => {
    expect((await fetch(`${host.url}/admin/metrics`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/admin/metrics`)).status).toBe(404);
  });
});

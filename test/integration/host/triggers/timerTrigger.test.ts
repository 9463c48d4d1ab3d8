import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../../support/azuriteProcess';
import { startHostProcess, type HostProcess } from '../../../support/hostProcess';
import { eventually, fromBase64, storageProbe, type StorageProbe } from '../../../support/storageProbe';

const APP = path.resolve(__dirname, '../../../fixtures/apps/triggersAndBindings');
const HOST_ID = 'timer-test-host';
const STATUS_BLOB = `azure-webjobs-hosts/timers/${HOST_ID}/Host.Functions.monitoredTicker/status`;
let azurite: RunningAzurite;
let storage: StorageProbe;
let host: HostProcess | undefined;

interface Tick {
  fn: string;
  timer: {
    isPastDue: boolean;
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  };
}

const env = (): Record<string, string> => ({
  AzureWebJobsStorage: azurite.connectionString,
  AzureFunctionsWebHost__hostid: HOST_ID,
});

/** Collects ticks from the queue the fixture's timers write to, until `enough` holds. */
async function ticksUntil(enough: (ticks: Tick[]) => boolean, what: string): Promise<Tick[]> {
  const ticks: Tick[] = [];
  return eventually(async () => {
    ticks.push(...(await storage.take('timer-ticks')).map((t) => JSON.parse(fromBase64(t)) as Tick));
    return enough(ticks) ? ticks : undefined;
  }, what);
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = storageProbe(azurite.connectionString);
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

describe('timer triggers', () => {
  it('run once at start with runOnStartup, not past due, and on an NCRONTAB schedule with seconds', async () => {
    host = await startHostProcess(APP, env());
    const ticks = await ticksUntil(
      (all) => all.some((t) => t.fn === 'startupTicker') && all.filter((t) => t.fn === 'monitoredTicker').length >= 2,
      'a startup tick and two scheduled ticks',
    );
    const startup = ticks.filter((t) => t.fn === 'startupTicker');
    expect(startup).toHaveLength(1);
    expect(startup[0].timer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    // A daily schedule is monitored by default; its next occurrence is 03:00:00 UTC.
    expect(startup[0].timer.scheduleStatus?.next).toMatch(/T03:00:00\.000Z$/);
    for (const tick of ticks.filter((t) => t.fn === 'monitoredTicker')) {
      expect(tick.timer.isPastDue).toBe(false);
      // Every 2 seconds: the occurrence the run stands for falls on an even second.
      expect(new Date(tick.timer.scheduleStatus?.next ?? '').getUTCSeconds() % 2).toBe(0);
    }
  });

  it('keeps the schedule status in the blob the Functions host uses', async () => {
    const status = JSON.parse(
      (await eventually(() => storage.readBlob(STATUS_BLOB), 'the status blob')).toString(),
    ) as {
      Last: string;
      Next: string;
      LastUpdated: string;
    };
    expect(Date.parse(status.Next)).toBeGreaterThan(Date.parse(status.Last));
    expect(Number.isNaN(Date.parse(status.LastUpdated))).toBe(false);
  });

  it('runs an occurrence that passed while the host was down once at start, with isPastDue', async () => {
    await host?.stop();
    host = undefined;
    const status = JSON.parse((await storage.readBlob(STATUS_BLOB))?.toString() ?? '{}') as { Next: string };
    // Stay down until the recorded next occurrence has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(status.Next) - Date.now()) + 1500));
    await storage.take('timer-ticks');

    host = await startHostProcess(APP, env());
    const ticks = await ticksUntil(
      (all) => all.filter((t) => t.fn === 'monitoredTicker' && !t.timer.isPastDue).length >= 2,
      'the catch-up tick and two regular ones',
    );
    const pastDue = ticks.filter((t) => t.fn === 'monitoredTicker' && t.timer.isPastDue);
    expect(pastDue).toHaveLength(1);
    expect(pastDue[0].timer.scheduleStatus?.next).toBe(new Date(status.Next).toISOString());
    expect(ticks.findIndex((t) => t.timer.isPastDue)).toBeLessThan(
      ticks.findIndex((t) => t.fn === 'monitoredTicker' && !t.timer.isPastDue),
    );
  });

  it('follow the skipped clock under time skipping', async () => {
    await host?.stop();
    host = await startHostProcess(
      APP,
      { ...env(), AzureFunctionsWebHost__hostid: 'skipping-host', 'AzureWebJobs.monitoredTicker.Disabled': 'true' },
      { timeSkipping: true },
    );
    // Daily at 03:00: with nothing else to run, the clock jumps from one occurrence to the next.
    const ticks = await ticksUntil(
      (all) => all.filter((t) => t.fn === 'startupTicker' && t.timer.scheduleStatus?.last?.startsWith('2')).length >= 2,
      'two scheduled daily runs',
    );
    const scheduled = ticks.filter((t) => t.fn === 'startupTicker' && t.timer.scheduleStatus?.last?.startsWith('2'));
    const [first, second] = scheduled.map((t) => Date.parse(t.timer.scheduleStatus?.next ?? ''));
    expect(second - first).toBe(24 * 3_600_000);
    await host.stop();
    host = undefined;
  });
});

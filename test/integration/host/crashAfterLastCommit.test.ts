import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';
import {
  appendBlock,
  startStorageFaultProxy,
  type StorageFaultProxy,
  type StorageRequest,
} from '../../support/storageFaultProxy';

// A host killed right after an orchestration's last commit: recovery takes up unfinished
// instances only, so whatever that last episode sends must be stored by the commit itself. Here
// storage takes the last commit and then no append at all until the host is gone.
const APP = path.resolve(__dirname, '../../fixtures/apps/criticalSection');
let azurite: RunningAzurite;
let proxy: StorageFaultProxy;
let host: HostProcess | undefined;

beforeAll(async () => {
  azurite = await startTestAzurite();
  proxy = await startStorageFaultProxy(azurite.ports);
});

afterAll(async () => {
  await host?.stop();
  await proxy?.stop();
  await azurite?.stop();
});

const api = (p: string): string => `${host?.url ?? ''}/runtime/webhooks/durabletask/${p}`;

/** Every append after the first one that carries `marker` and `text` fails (the commit itself lands). */
function appendsAfter(marker: string, text: string): (request: StorageRequest) => boolean {
  let landed = false;
  return (request) => {
    if (!appendBlock(request)) return false;
    if (landed) return true;
    const body = request.body?.toString('utf8') ?? '';
    landed = body.includes(marker) && body.includes(text);
    return false;
  };
}

async function entityStatus(key: string): Promise<{ lockedBy?: string } | undefined> {
  const response = await fetch(api(`instances/@account@${key}`));
  if (response.status !== 202) return undefined;
  return ((await response.json()) as { customStatus: { lockedBy?: string } | null }).customStatus ?? undefined;
}

describe('a host killed right after an orchestration completed', () => {
  it('leaves no entity locked: the release at completion was stored by the last commit', async () => {
    host = await startHostProcess(APP, { AzureWebJobsStorage: proxy.connectionString });
    proxy.inject({
      kind: { type: 'status', status: 503 },
      times: 1_000_000,
      matches: appendsAfter('returner-killed', '"RuntimeStatus":"Completed"'),
    });
    const started = await fetch(api('orchestrators/returnsHolding/returner-killed'), {
      method: 'POST',
      body: JSON.stringify('killed-key'),
    });
    expect(started.status).toBe(202);
    expect(await waitForStatus(api('instances/returner-killed'))).toMatchObject({ runtimeStatus: 'Completed' });
    // Whatever the host would store after that commit has had its chance to fail.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await host.kill();
    proxy.clear();

    host = await startHostProcess(APP, { AzureWebJobsStorage: proxy.connectionString });
    const deadline = Date.now() + 20_000;
    let status = await entityStatus('killed-key');
    while (status?.lockedBy !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await entityStatus('killed-key');
    }
    expect(status).toEqual({ entityExists: true });
  });
});

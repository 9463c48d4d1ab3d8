import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../../support/hostProcess';
import { base64, eventually, fromBase64, storageProbe, type StorageProbe } from '../../../support/storageProbe';

const APP = path.resolve(__dirname, '../../../fixtures/apps/triggersAndBindings');
let running: HostOnAzurite | undefined;
let host: HostProcess;
let storage: StorageProbe;

beforeAll(async () => {
  running = await startHostOnAzurite(APP, { 'AzureWebJobs.monitoredTicker.Disabled': 'true' });
  host = running.host;
  storage = storageProbe(running.azurite.connectionString);
});

afterAll(async () => {
  await running?.stop();
});

interface Receipt {
  message: unknown;
  instanceId: string;
  settings: unknown;
  metadata: { id: string; dequeueCount: number; insertionTime: string; queueTrigger: unknown };
}

async function receiptFor(tenant: string, messageId: string): Promise<Receipt> {
  const blob = await eventually(() => storage.readBlob(`receipts/${tenant}/${messageId}.json`), 'the receipt blob');
  return JSON.parse(blob.toString('utf8')) as Receipt;
}

describe('queue triggers on Azurite', () => {
  it('runs a function per base64 message with its metadata, a durable client and blob bindings named from the message', async () => {
    await storage.writeBlob('settings/acme.json', '{"greeting":"hi"}');
    const text = JSON.stringify({ tenant: 'acme', item: 'Ada' });
    const id = await storage.send('intake', base64(text));

    const receipt = await receiptFor('acme', id);
    expect(receipt.message).toEqual({ tenant: 'acme', item: 'Ada' });
    // dataType 'string': the library parses JSON text, as it does for every string it receives.
    expect(receipt.settings).toEqual({ greeting: 'hi' });
    // The library JSON-parses metadata strings too, so queueTrigger arrives as the object.
    expect(receipt.metadata).toMatchObject({ id, dequeueCount: 1, queueTrigger: JSON.parse(text) as unknown });
    expect(Number.isNaN(Date.parse(receipt.metadata.insertionTime))).toBe(false);

    const status = await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/${receipt.instanceId}`);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello Ada' });
    await eventually(async () => ((await storage.peekCount('intake')) === 0 ? true : undefined), 'the message deleted');
  });

  it('writes an array return value to an output queue as one base64 message per element', async () => {
    const id = await storage.send('intake', base64(JSON.stringify({ tenant: 'acme', item: 'Grace' })));
    const instanceId = `intake-${id}`;
    const taken: string[] = [];
    const texts = await eventually(async () => {
      taken.push(...(await storage.take('intake-done')).map(fromBase64));
      return taken.filter((t) => t.includes(instanceId)).length >= 2 ? taken : undefined;
    }, 'the output messages');
    expect(texts.filter((t) => t.includes(instanceId))).toEqual([
      `started ${instanceId}`,
      JSON.stringify({ instanceId }),
    ]);
  });

  it('accepts a message that is not base64, and binds a missing input blob as null', async () => {
    const id = await storage.send('intake', JSON.stringify({ tenant: 'globex', item: 'Bob' }));
    const receipt = await receiptFor('globex', id);
    expect(receipt.message).toEqual({ tenant: 'globex', item: 'Bob' });
    expect(receipt.settings).toBeNull();
  });

  it('moves a message that keeps failing to the poison queue after maxDequeueCount attempts', async () => {
    const sent = base64('{"order":"broken"}');
    await storage.send('doomed', sent);
    const poisoned = await eventually(async () => {
      const taken = await storage.take('doomed-poison');
      return taken.length > 0 ? taken : undefined;
    }, 'the poison message');
    expect(poisoned).toEqual([sent]);
    expect(await storage.peekCount('doomed')).toBe(0);
    expect(host.output()).toMatch(/cannot handle \{"order":"broken"\} \(attempt 1\)/);
    expect(host.output()).toMatch(/cannot handle \{"order":"broken"\} \(attempt 2\)/);
    expect(host.output()).toMatch(/has reached MaxDequeueCount of 2\. Moving message to queue 'doomed-poison'/);
  });

  it('runs messages in batches, at most batchSize + newBatchThreshold at once', async () => {
    for (let i = 0; i < 8; i++) await storage.send('slow', base64(`job ${i}`));
    const observed: { message: string; atOnce: number }[] = [];
    await eventually(async () => {
      observed.push(
        ...(await storage.take('slow-observed')).map(
          (t) => JSON.parse(fromBase64(t)) as { message: string; atOnce: number },
        ),
      );
      return observed.length >= 8 ? true : undefined;
    }, 'eight observations');
    expect(observed.map((o) => o.message).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `job ${i}`));
    const most = Math.max(...observed.map((o) => o.atOnce));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });

  it('finishes the invocations in flight when the host stops gracefully', async () => {
    await storage.send('linger', base64('last words'));
    // Received (invisible) means the invocation has begun; it takes a second.
    await eventually(async () => ((await storage.peekCount('linger')) === 0 ? true : undefined), 'the message taken');
    await host.stop();
    expect((await storage.take('linger-done')).map(fromBase64)).toEqual(['last words']);
    expect(await storage.peekCount('linger')).toBe(0);
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../../support/azuriteProcess';
import { startHostProcess, type HostProcess } from '../../../support/hostProcess';
import { eventually, fromBase64, storageProbe, type StorageProbe } from '../../../support/storageProbe';

const APP = path.resolve(__dirname, '../../../fixtures/apps/triggersAndBindings');
let azurite: RunningAzurite;
let host: HostProcess | undefined;
let storage: StorageProbe;

const start = async (): Promise<HostProcess> =>
  startHostProcess(APP, {
    AzureWebJobsStorage: azurite.connectionString,
    AzureFunctionsWebHost__hostid: 'blob-test-host',
    'AzureWebJobs.monitoredTicker.Disabled': 'true',
  });

interface Shouted {
  text: string;
  name: string;
  blobTrigger: string;
  length: number;
}

async function shouted(name: string, text: string): Promise<Shouted> {
  return eventually(async () => {
    // A read that meets the host rewriting the blob fails; the next poll reads it whole.
    const blob = await storage.readBlob(`processed/${name}.json`).catch(() => undefined);
    const value = blob ? (JSON.parse(blob.toString()) as Shouted) : undefined;
    return value?.text === text ? value : undefined;
  }, `processed/${name}.json saying ${text}`);
}

const runsOf = async (name: string): Promise<number> => (await storage.listBlobs('runs', `${name}/`)).length;

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = storageProbe(azurite.connectionString);
  host = await start();
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

describe('blob triggers (polling)', () => {
  it('runs the function for a new blob whose name matches the path, with the name and metadata', async () => {
    await storage.writeBlob('uploads/report.txt', 'quarterly numbers');
    await storage.writeBlob('uploads/notes.md', 'not a .txt: never matches');
    expect(await shouted('report', 'QUARTERLY NUMBERS')).toEqual({
      text: 'QUARTERLY NUMBERS',
      name: 'report',
      blobTrigger: 'uploads/report.txt',
      length: 17,
    });
    expect(await runsOf('report')).toBe(1);
    expect(await runsOf('notes')).toBe(0);
  });

  it('runs again for a changed blob, and not again after a restart (receipts)', async () => {
    await storage.writeBlob('uploads/report.txt', 'revised numbers');
    await shouted('report', 'REVISED NUMBERS');
    expect(await runsOf('report')).toBe(2);

    await host?.stop();
    host = await start();
    // A blob uploaded after the restart is seen in the same listing as the old ones.
    await storage.writeBlob('uploads/later.txt', 'after the restart');
    await shouted('later', 'AFTER THE RESTART');
    expect(await runsOf('report')).toBe(2);
  });

  it('sends a blob that keeps failing to webjobs-blobtrigger-poison after maxDequeueCount attempts', async () => {
    await storage.writeBlob('broken/bad.bin', 'garbage');
    const messages = await eventually(async () => {
      const taken = await storage.take('webjobs-blobtrigger-poison');
      return taken.length > 0 ? taken : undefined;
    }, 'the poison message');
    expect(JSON.parse(fromBase64(messages[0]))).toMatchObject({
      Type: 'BlobTrigger',
      FunctionId: 'Host.Functions.brokenUpload',
      ContainerName: 'broken',
      BlobName: 'bad.bin',
    });
    expect(host?.output().match(/cannot read bad\.bin/g)).toHaveLength(2);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../../support/hostOnAzurite';
import { waitForStatus, type HostProcess } from '../../../support/hostProcess';
import { storageProbe, type StorageProbe } from '../../../support/storageProbe';

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

describe('blob bindings', () => {
  it('writes a blob whose path comes from the route and the query of an HTTP request', async () => {
    const saved = await fetch(`${host.url}/api/notes/recipes?name=pancakes`, {
      method: 'POST',
      body: 'flour, eggs, milk',
    });
    expect(saved.status).toBe(201);
    expect((await storage.readBlob('notes/recipes/pancakes.txt'))?.toString()).toBe('flour, eggs, milk');
  });

  it('reads a blob named by route parameters as an input, and null when there is none', async () => {
    await storage.writeBlob('notes/travel/lisbon.txt', 'tram 28');
    const found = await fetch(`${host.url}/api/notes/travel/lisbon`);
    expect(found.status).toBe(200);
    expect(await found.text()).toBe('tram 28');
    expect((await fetch(`${host.url}/api/notes/travel/porto`)).status).toBe(404);
  });

  it('fails the invocation, naming the parameter, when the path names data the trigger lacks', async () => {
    const response = await fetch(`${host.url}/api/notes/recipes`, { method: 'POST', body: 'no name' });
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/No value for named parameter 'query.name'/);
  });

  it("copies a directory into blob storage the way the SDK's backupSiteContent sample does", async () => {
    const started = await fetch(`${host.url}/api/backups`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    const done = await waitForStatus(statusQueryGetUri);
    const site = path.join(APP, 'site');
    const files = ['index.html', 'docs/backup.md'];
    const bytes = files.map((f) => fs.readFileSync(path.join(site, f)));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: bytes.reduce((sum, b) => sum + b.length, 0) });
    for (const [i, file] of files.entries()) expect(await storage.readBlob(`backups/${file}`)).toEqual(bytes[i]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, type HostProcess } from '../../support/hostProcess';

// An app whose host.json quiets one function's own lines below Warning: the host must write
// that function's warnings and errors, not its information lines, and leave the other alone.
const ROOT = path.resolve(__dirname, '../../..');
let azurite: RunningAzurite;
let host: HostProcess;
let appDir: string;

const functions = `
const { app } = require('@azure/functions');
for (const name of ['quiet', 'chatty']) {
  app.http(name, {
    handler: async (request, context) => {
      context.log(name + ' says information');
      context.warn(name + ' says warning');
      context.error(name + ' says error');
      return { body: 'ok' };
    },
  });
}
`;

beforeAll(async () => {
  azurite = await startTestAzurite();
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  appDir = fs.mkdtempSync(path.join(ROOT, 'test-results', 'log-levels-'));
  fs.writeFileSync(path.join(appDir, 'package.json'), '{"main":"index.js"}');
  fs.writeFileSync(path.join(appDir, 'index.js'), functions);
  fs.writeFileSync(
    path.join(appDir, 'host.json'),
    JSON.stringify({
      version: '2.0',
      logging: { logLevel: { default: 'Information', 'Function.quiet.User': 'Warning' } },
    }),
  );
  host = await startHostProcess(appDir, { AzureWebJobsStorage: azurite.connectionString });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  fs.rmSync(appDir, { recursive: true, force: true });
});

describe('the host honours host.json logging.logLevel', () => {
  it("writes a function's lines at or above the level its category is given, and the rest at default", async () => {
    for (const name of ['quiet', 'chatty']) expect((await fetch(`${host.url}/api/${name}`)).status).toBe(200);
    const output = host.output();
    expect(output).not.toContain('quiet says information');
    expect(output).toContain('quiet says warning');
    expect(output).toContain('quiet says error');
    expect(output).toContain('chatty says information');
    expect(output).toContain('chatty says warning');
  });
});

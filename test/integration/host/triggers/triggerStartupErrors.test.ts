import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../../support/azuriteProcess';

const ROOT = path.resolve(__dirname, '../../../..');
const CLI = path.join(ROOT, 'dist/host/cli.js');
let azurite: RunningAzurite;
let scratch: string;

function runCli(appDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'start', appDir, '--port', '0'], {
      env: { ...process.env, AzureWebJobsStorage: azurite.connectionString, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** An app beside the project (so it resolves the project's node_modules) whose index.js is `code`. */
function app(name: string, code: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"main":"index.js"}');
  fs.writeFileSync(path.join(dir, 'host.json'), '{"version":"2.0"}');
  fs.writeFileSync(path.join(dir, 'index.js'), `const { app, input, output } = require('@azure/functions');\n${code}`);
  return dir;
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  scratch = fs.mkdtempSync(path.join(ROOT, 'test-results', 'trigger-startup-'));
});

afterAll(async () => {
  await azurite?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the host refuses, with one line naming the function, what it would otherwise list and ignore', () => {
  const cases: [string, string, RegExp, Record<string, string>?][] = [
    [
      'a timer schedule that is not NCRONTAB',
      `app.timer('nightly', { schedule: '0 0 25 * * *', handler: () => {} });`,
      /Function 'nightly': the timer schedule "0 0 25 \* \* \*" is not valid: .*hour/,
    ],
    [
      'a cron nickname NCRONTAB does not know',
      `app.timer('daily', { schedule: '@daily', handler: () => {} });`,
      /Function 'daily': the timer schedule "@daily" is not valid: an NCRONTAB schedule has 6 fields/,
    ],
    [
      'a schedule naming an app setting that is not set',
      `app.timer('fromSetting', { schedule: '%NO_SUCH_SCHEDULE%', handler: () => {} });`,
      /Function 'fromSetting': the timer schedule "%NO_SUCH_SCHEDULE%" is not valid: app setting "NO_SUCH_SCHEDULE" is not set/,
    ],
    [
      'a time zone that does not exist',
      `app.timer('zoned', { schedule: '0 0 3 * * *', handler: () => {} });`,
      /WEBSITE_TIME_ZONE "Mars\/Olympus" is not an IANA time zone/,
      { WEBSITE_TIME_ZONE: 'Mars/Olympus' },
    ],
    [
      'an Event Hubs trigger',
      `app.eventHub('events', { eventHubName: 'hub', connection: 'EventHubs', handler: () => {} });`,
      /Function 'events' has a trigger of type 'eventHubTrigger', which this host cannot run/,
    ],
    [
      'a blob trigger fed by Event Grid',
      `app.storageBlob('uploads', { path: 'uploads/{name}', source: 'EventGrid', connection: '', handler: () => {} });`,
      /Function 'uploads' has a blob trigger with source EventGrid, which needs an Event Grid subscription/,
    ],
    [
      'a blob trigger path with a container Azure Storage refuses',
      `app.storageBlob('uploads', { path: 'Up_Loads/{name}', connection: '', handler: () => {} });`,
      /Function 'uploads': blob trigger path "Up_Loads\/\{name\}" is not valid: container "Up_Loads"/,
    ],
    [
      'a Cosmos DB output binding',
      `app.http('save', { extraOutputs: [output.cosmosDB({ databaseName: 'd', containerName: 'c', connection: 'Cosmos' })], handler: () => ({}) });`,
      /Function 'save' has an output binding of type 'cosmosDB', which this host does not serve/,
    ],
    [
      'a queue connection whose setting is not set',
      `app.storageQueue('work', { queueName: 'work', connection: 'MissingStorage', handler: () => {} });`,
      /Function 'work': the storage connection setting "MissingStorage" is not set/,
    ],
    [
      'a queue name Azure Storage refuses',
      `app.storageQueue('work', { queueName: 'Work_Items', connection: '', handler: () => {} });`,
      /Function 'work': queue name "Work_Items" is not valid/,
    ],
    [
      'unusable queue settings in host.json',
      `app.storageQueue('work', { queueName: 'work', connection: '', handler: () => {} });`,
      /host.json extensions.queues.batchSize must be a whole number from 1 to 32, not "64"/,
      { AzureFunctionsJobHost__extensions__queues__batchSize: '64' },
    ],
  ];
  for (const [what, code, message, env] of cases) {
    it(what, async () => {
      const { code: exit, output } = await runCli(app(what.replace(/\W+/g, '-'), code), env);
      expect(exit).toBe(1);
      expect(output).toMatch(message);
      expect(output.trim().split('\n')).toHaveLength(1);
    });
  }
});

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
  fs.writeFileSync(path.join(dir, 'index.js'), `const { app } = require('@azure/functions');\n${code}`);
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

describe('the host refuses, with one line, a trigger setting that is wrong for every function', () => {
  // Per-function problems put only that function in error (partialStartup.test.ts); these are host-wide.
  const cases: [string, string, RegExp, Record<string, string>][] = [
    [
      'a time zone that does not exist',
      `app.timer('zoned', { schedule: '0 0 3 * * *', handler: () => {} });`,
      /WEBSITE_TIME_ZONE "Mars\/Olympus" is not an IANA time zone/,
      { WEBSITE_TIME_ZONE: 'Mars/Olympus' },
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

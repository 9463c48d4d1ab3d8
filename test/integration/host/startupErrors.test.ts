import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/host/cli.js');
let azurite: RunningAzurite;
let scratch: string;

/** Runs `cli start <appDir>` to its exit and returns the exit code and everything it printed. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function app(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const hostJson = JSON.stringify({ version: '2.0' });
const registersOne = `require('@azure/functions').app.http('ping', { handler: async () => ({ body: 'pong' }) });`;

beforeAll(async () => {
  azurite = await startTestAzurite();
  // Apps live beside the project so they resolve its node_modules, as an app resolves its own.
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  scratch = fs.mkdtempSync(path.join(ROOT, 'test-results', 'startup-'));
});

afterAll(async () => {
  await azurite?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the host refuses to start with one clear line and a non-zero exit', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a missing app directory', () => path.join(os.tmpdir(), 'no-such-app-dir'), /The app directory .* does not exist/],
    ['no package.json', () => app('no-package', { 'host.json': hostJson }), /No package.json found in/],
    [
      'a main that matches nothing',
      () => app('no-match', { 'package.json': '{"main":"dist/*.js"}', 'host.json': hostJson }),
      /matches no file .*Did you build the app/,
    ],
    [
      'no functions registered',
      () =>
        app('no-functions', { 'package.json': '{"main":"index.js"}', 'host.json': hostJson, 'index.js': '// nothing' }),
      /No functions found/,
    ],
    [
      'an app module that throws on load',
      () =>
        app('throws', {
          'package.json': '{"main":"functions/*.js"}',
          'host.json': hostJson,
          'functions/boom.js': "throw new Error('kaboom at load');",
        }),
      /Loading functions\/boom\.js failed: kaboom at load/,
    ],
    [
      'a broken host.json',
      () => app('bad-host-json', { 'package.json': '{"main":"index.js"}', 'host.json': '{ nope' }),
      /host.json at .* is not valid JSON/,
    ],
  ];
  for (const [what, dir, message] of cases) {
    it(what, async () => {
      const { code, output } = await runCli(['start', dir(), '--port', '0'], {
        AzureWebJobsStorage: azurite.connectionString,
      });
      expect(code).toBe(1);
      expect(output).toMatch(message);
      expect(output.trim().split('\n')).toHaveLength(1);
    });
  }

  const settingCases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    [
      'an unknown durability provider type',
      {
        'host.json': JSON.stringify({
          version: '2.0',
          extensions: { durableTask: { storageProvider: { type: 'Redis' } } },
        }),
      },
      {},
      /host.json extensions.durableTask.storageProvider.type: Storage provider type \(Redis\) was not found\. Available storage providers: AzureStorage, mssql, Netherite, azureManaged\./,
    ],
    [
      'a hub name naming an app setting that is not set',
      { 'host.json': JSON.stringify({ version: '2.0', extensions: { durableTask: { hubName: '%TASKHUB_NAME%' } } }) },
      {},
      /hubName "%TASKHUB_NAME%" names the app setting TASKHUB_NAME, which is not set/,
    ],
    [
      'an azureManaged hub with no name and no scheduler connection',
      {
        'host.json': JSON.stringify({
          version: '2.0',
          extensions: { durableTask: { storageProvider: { type: 'azureManaged', connectionStringName: 'DTS' } } },
        }),
      },
      {},
      /azureManaged provider with no hubName, and its connection setting DTS is not set/,
    ],
    [
      'a storage connection that is not an Azure Storage connection string',
      { 'host.json': hostJson },
      { AzureWebJobsStorage: 'Endpoint=https://scheduler.durabletask.io;Authentication=ManagedIdentity;TaskHub=x' },
      /The storage connection "AzureWebJobsStorage" is not an Azure Storage connection string: /,
    ],
  ];
  for (const [what, files, env, message] of settingCases) {
    it(what, async () => {
      const dir = app(what.replace(/\W+/g, '-'), {
        'package.json': '{"main":"index.js"}',
        'index.js': registersOne,
        ...files,
      });
      const { code, output } = await runCli(['start', dir, '--port', '0'], {
        AzureWebJobsStorage: azurite.connectionString,
        ...env,
      });
      expect(code).toBe(1);
      expect(output).toMatch(message);
      // One line, and never a stack trace.
      expect(output.trim().split('\n')).toHaveLength(1);
    });
  }

  it('a port in use', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = app('port-in-use', {
      'package.json': '{"main":"index.js"}',
      'host.json': hostJson,
      'index.js': registersOne,
    });
    const { code, output } = await runCli(['start', dir, '--port', String(port)], {
      AzureWebJobsStorage: azurite.connectionString,
    });
    blocker.close();
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`Port ${port} on 127.0.0.1 is in use`));
  });

  it('storage that does not answer', async () => {
    const dir = app('no-storage', {
      'package.json': '{"main":"index.js"}',
      'host.json': hostJson,
      'index.js': registersOne,
    });
    const closed = azurite.connectionString.replace(/:\d+\/devstoreaccount1/g, ':1/devstoreaccount1');
    const { code, output } = await runCli(['start', dir, '--port', '0'], { AzureWebJobsStorage: closed });
    expect(code).toBe(1);
    expect(output).toMatch(/Azure Storage does not answer .*is Azurite running\?/);
  });

  it('a bad command line', async () => {
    expect((await runCli(['start', '.', '--port', 'seventy'])).code).toBe(2);
    expect((await runCli(['serve'])).code).toBe(2);
  });
});

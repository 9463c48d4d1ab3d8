import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portAnswers } from '../../host/azurite';
import { waitForStatus } from '../support/hostProcess';
import { orderExample } from '../support/orderExamples';

// `npm start` on a machine with nothing running: it must start Azurite (persisting under
// .azurite/) and the embedded Cosmos server itself, and stop Azurite again on Ctrl-C. It needs
// Azurite's standard ports, so it cannot run beside an Azurite a developer already has open.
const ROOT = path.resolve(__dirname, '../..');
const STANDARD_PORTS = [10000, 10001, 10002];

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startNpmStart(env: Record<string, string>): { stop(): Promise<void>; url: Promise<string>; output(): string } {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/scripts/start.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${output}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(() => reject(new Error(`npm start exited: ${output}`)));
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const azuriteDir = path.join(ROOT, '.azurite');
const hadAzuriteDir = fs.existsSync(azuriteDir);

afterAll(() => {
  if (!hadAzuriteDir) fs.rmSync(azuriteDir, { recursive: true, force: true });
});

describe('npm start on a machine with nothing running', () => {
  it('starts Azurite and Cosmos itself, serves the saga, keeps state across a restart, and stops Azurite on Ctrl-C', async (context) => {
    if ((await Promise.all(STANDARD_PORTS.map((p) => portAnswers(p)))).some(Boolean))
      context.skip('an Azurite (or something else) already holds 127.0.0.1:10000-10002');
    const env = { PORT: '0', COSMOS_ENDPOINT: `http://127.0.0.1:${await freePort()}` };
    let app = startNpmStart(env);
    let url = await app.url;
    expect(app.output()).toMatch(/Embedded Cosmos-protocol server on .* demo data loaded/);
    const response = await fetch(`${url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: orderExample('order-ok.json').body,
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(await waitForStatus(`${url}/runtime/webhooks/durabletask/instances/${id}`)).toMatchObject({
      runtimeStatus: 'Completed',
    });
    await app.stop();
    expect(fs.existsSync(azuriteDir)).toBe(true);
    expect((await Promise.all(STANDARD_PORTS.map((p) => portAnswers(p)))).some(Boolean)).toBe(false);

    app = startNpmStart(env);
    url = await app.url;
    expect(await (await fetch(`${url}/runtime/webhooks/durabletask/instances/${id}`)).json()).toMatchObject({
      runtimeStatus: 'Completed',
    });
    await app.stop();
  });
});

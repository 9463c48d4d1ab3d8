import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type RunningAzurite } from '../../support/azuriteProcess';
import { startHostProcess, waitForStatus, type HostProcess } from '../../support/hostProcess';

// host.json's durableTask versioning settings, set per host through the Functions host's
// app-setting overrides (AzureFunctionsJobHost__extensions__durableTask__...).
const APP = path.resolve(__dirname, '../../fixtures/apps/durableFeatures');
let azurite: RunningAzurite;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  azurite = await startTestAzurite();
});

afterAll(async () => {
  for (const host of hosts) await host.stop();
  await azurite?.stop();
});

async function hostWith(settings: Record<string, string>): Promise<HostProcess> {
  const env: Record<string, string> = { AzureWebJobsStorage: azurite.connectionString };
  for (const [key, value] of Object.entries(settings))
    env[`AzureFunctionsJobHost__extensions__durableTask__${key}`] = value;
  const host = await startHostProcess(APP, env);
  hosts.push(host);
  return host;
}

const start = async (host: HostProcess, name: string, id: string, version?: string): Promise<Response> =>
  fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/${name}/${id}${version ? `?version=${version}` : ''}`, {
    method: 'POST',
  });
const statusOf = async (host: HostProcess, id: string): Promise<{ runtimeStatus: string; output: unknown }> =>
  (await (await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)).json()) as {
    runtimeStatus: string;
    output: unknown;
  };

describe('orchestration versions', () => {
  it('gives new instances the default version, or the one asked for, and sub-orchestrations the default', async () => {
    const host = await hostWith({ defaultVersion: '2.0' });
    await start(host, 'parentVersion', 'v-default');
    expect(await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/v-default`)).toMatchObject({
      output: { parent: '2.0', child: '2.0' },
    });
    await start(host, 'versionEcho', 'v-explicit', '1.5');
    expect(await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/v-explicit`)).toMatchObject({
      output: '1.5',
    });
    await host.stop();
  });

  it('CurrentOrOlder + Reject: leaves a newer instance untouched for a worker that can run it', async () => {
    const older = await hostWith({ defaultVersion: '2.0' });
    expect((await start(older, 'versionEcho', 'v-newer', '2.10')).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await statusOf(older, 'v-newer')).runtimeStatus).toBe('Pending');
    expect(older.output()).toMatch(
      /Not running v-newer: The orchestration version '2.10' is newer than the worker version '2.0'/,
    );
    await older.stop();
    // A worker at 2.10 picks it up.
    const newer = await hostWith({ defaultVersion: '2.10' });
    expect(await waitForStatus(`${newer.url}/runtime/webhooks/durabletask/instances/v-newer`)).toMatchObject({
      runtimeStatus: 'Completed',
      output: '2.10',
    });
    await newer.stop();
  });

  it('Fail: fails the instance, naming both versions', async () => {
    const host = await hostWith({ defaultVersion: '1.0', versionFailureStrategy: 'Fail' });
    await start(host, 'versionEcho', 'v-fail', '1.1');
    const status = await waitForStatus(`${host.url}/runtime/webhooks/durabletask/instances/v-fail`);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe(
      "Orchestrator function 'versionEcho' failed: The orchestration version '1.1' is newer than the worker version '1.0' (versionMatchStrategy CurrentOrOlder).",
    );
    await host.stop();
  });

  it('Strict runs only the exact version; None runs everything', async () => {
    const strict = await hostWith({
      defaultVersion: '2.0',
      versionMatchStrategy: 'Strict',
      versionFailureStrategy: 'Fail',
    });
    await start(strict, 'versionEcho', 'v-strict-old', '1.0');
    expect((await waitForStatus(`${strict.url}/runtime/webhooks/durabletask/instances/v-strict-old`)).output).toMatch(
      /does not match the worker version '2.0' \(versionMatchStrategy Strict\)/,
    );
    await start(strict, 'versionEcho', 'v-strict-same', '2.0');
    expect((await waitForStatus(`${strict.url}/runtime/webhooks/durabletask/instances/v-strict-same`)).output).toBe(
      '2.0',
    );
    await strict.stop();
    const none = await hostWith({ defaultVersion: '1.0', versionMatchStrategy: 'None' });
    await start(none, 'versionEcho', 'v-none', '9.9');
    expect((await waitForStatus(`${none.url}/runtime/webhooks/durabletask/instances/v-none`)).output).toBe('9.9');
    await none.stop();
  });

  it('refuses to start with an unknown strategy', async () => {
    await expect(hostWith({ versionMatchStrategy: 'Newest' })).rejects.toThrow(
      /versionMatchStrategy "Newest" is not one of None, Strict, CurrentOrOlder/,
    );
  });
});

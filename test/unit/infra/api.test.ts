import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');
const api = readFileSync(path.join(ROOT, 'infra/app/api.bicep'), 'utf8');
const allBicep = ['infra/main.bicep', ...readdirSync(path.join(ROOT, 'infra/app')).map((f) => `infra/app/${f}`)]
  .filter((file) => file.endsWith('.bicep'))
  .map((file) => readFileSync(path.join(ROOT, file), 'utf8'))
  .join('\n');

function appSettingNames(bicep: string): string[] {
  return [...bicep.matchAll(/\{ name: '([^']+)', value: /g)].map(([, name]) => name ?? '');
}

describe('infra/app/api.bicep', () => {
  it('runs the app on Flex Consumption with the Node version of .nvmrc', () => {
    const nvmrc = readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();

    expect(api).toMatch(/name: 'FC1'\s+tier: 'FlexConsumption'/);
    expect(api).toMatch(new RegExp(`runtime: \\{\\s+name: 'node'\\s+version: '${nvmrc}'`));
  });

  it('connects to storage through the identity, and sets nothing Flex Consumption refuses', () => {
    const names = appSettingNames(api);

    expect(names).toEqual(
      expect.arrayContaining([
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__credential',
        'AzureWebJobsStorage__clientId',
        'AZURE_CLIENT_ID',
        'COSMOS_ENDPOINT',
        'COSMOS_DATABASE',
      ]),
    );
    for (const refused of ['AzureWebJobsStorage', 'FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION']) {
      expect(names).not.toContain(refused);
    }
  });

  it('puts no key anywhere: no listKeys, no account key, no COSMOS_KEY', () => {
    expect(allBicep).not.toMatch(/listKeys|listConnectionStrings|AccountKey=|COSMOS_KEY/);
    expect(allBicep).toMatch(/allowSharedKeyAccess: false/);
  });
});

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BicepValue,
  allowedValues,
  at,
  callArguments,
  declaration,
  parseBicep,
  parseValue,
  text,
} from './bicepText';

// The azd choice between the Durable backends: Azure Storage (the task hub in the app's storage
// account) and the Durable Task Scheduler. Nothing here reaches Azure and no Bicep compiler runs
// here (see bicepText.ts), so these tests read the Bicep, the azd files and host.json and check
// that they agree with each other and with what the Durable extension reads. What only a real
// deployment can show is listed under "Deploying to Azure" in docs/running-and-deploying.md.

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

// Read when a test runs, so that a missing file fails the tests that need it (not the whole file).
const parsed = new Map<string, ReturnType<typeof parseBicep>>();
const bicep = (file: string) =>
  parsed.get(file) ?? parsed.set(file, parseBicep(read(file))).get(file) ?? parseBicep('');
const main = () => bicep('infra/main.bicep');
const api = () => bicep('infra/app/api.bicep');
const scheduler = () => bicep('infra/app/durableTaskScheduler.bicep');
const parameters = () =>
  JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> };
const hostJson = () =>
  JSON.parse(read('host.json')) as {
    extensionBundle: { id: string; version: string };
    extensions: { durableTask: Record<string, unknown> };
  };

// Azure's built-in role "Durable Task Data Contributor" (every data operation on a scheduler's task hubs).
const DURABLE_TASK_DATA_CONTRIBUTOR = '0ad04412-c4d5-4796-b79c-f76d14c8d402';
// The first extension bundle (Microsoft.Azure.Functions.ExtensionBundle, not the preview one) that
// carries Microsoft.Azure.WebJobs.Extensions.DurableTask.AzureManaged, the scheduler's provider.
const SCHEDULER_BUNDLE_FLOOR = [4, 30, 0] as const;
const SCHEDULER_SETTINGS = {
  type: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type',
  connectionStringName: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
  hubName: 'AzureFunctionsJobHost__extensions__durableTask__hubName',
  connectionString: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
};

function stringValue(value: BicepValue | undefined): string {
  if (value?.kind !== 'string') throw new Error(`expected a string literal, got ${value?.kind ?? 'nothing'}`);
  return value.value;
}

function paramDefault(file: ReturnType<typeof parseBicep>, name: string): string | undefined {
  const value = declaration(file, 'param', name).value;
  return value === undefined ? undefined : stringValue(value);
}

/** `${NAME=default}` or `${NAME}` in main.parameters.json: azd substitutes its environment values. */
function environmentReference(parameter: string): { variable: string; fallback: string | undefined } {
  const value = parameters().parameters[parameter]?.value;
  const match = typeof value === 'string' ? /^\$\{([A-Z0-9_]+)(?:=([^}]*))?\}$/.exec(value) : null;
  if (!match?.[1]) throw new Error(`main.parameters.json ${parameter} is not an azd environment reference`);
  return { variable: match[1], fallback: match[2] };
}

interface AppSetting {
  name: string;
  value: BicepValue;
}

function settingsOf(list: BicepValue | undefined, where: string): AppSetting[] {
  if (list?.kind !== 'array') throw new Error(`${where} is not an array literal`);
  return list.items.map((item) => {
    const name = stringValue(at(item, 'name'));
    const value = at(item, 'value');
    if (!value) throw new Error(`${where}: app setting ${name} has no value`);
    return { name, value };
  });
}

/**
 * The Function App's app settings, as `concat([always...], <backend> == 'durableTaskScheduler' ? <var> : [])`:
 * those set for both backends, and those added for the scheduler.
 */
function appSettings(): { always: AppSetting[]; schedulerOnly: AppSetting[]; condition: string } {
  const site = api().declarations.find((d) => d.keyword === 'resource' && d.type.startsWith('Microsoft.Web/sites@'));
  const raw = text(at(site?.value, 'properties', 'siteConfig', 'appSettings'));
  if (!raw) throw new Error('api.bicep sets no appSettings');
  const [always, added, ...rest] = callArguments(raw, 'concat');
  if (rest.length > 0) throw new Error('appSettings concatenates more than two lists');
  const ternary = /^(.+?)\s*\?\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*\[\]$/.exec(text(added) ?? '');
  if (!ternary?.[1] || !ternary[2]) throw new Error(`unexpected conditional app settings: ${text(added) ?? ''}`);
  return {
    always: settingsOf(always, 'appSettings'),
    schedulerOnly: settingsOf(declaration(api(), 'var', ternary[2]).value, ternary[2]),
    condition: ternary[1],
  };
}

function moduleParams(file: ReturnType<typeof parseBicep>, modulePath: string): Record<string, BicepValue> {
  const found = file.declarations.filter((d) => d.keyword === 'module' && d.type === modulePath);
  expect(found, `one module ${modulePath}`).toHaveLength(1);
  const params = at(found[0]?.value, 'params');
  if (params?.kind !== 'object') throw new Error(`module ${modulePath} has no params object`);
  return params.entries;
}

function resourcesOf(file: ReturnType<typeof parseBicep>, typePrefix: string) {
  return file.declarations.filter((d) => d.keyword === 'resource' && d.type.startsWith(`${typePrefix}@`));
}

describe('the durable backend parameter', () => {
  it('offers Azure Storage and the Durable Task Scheduler, Azure Storage by default', () => {
    const backend = declaration(main(), 'param', 'durableBackend');
    const sku = declaration(main(), 'param', 'durableTaskSchedulerSku');
    expect(allowedValues(backend)).toEqual(['azureStorage', 'durableTaskScheduler']);
    expect(paramDefault(main(), 'durableBackend')).toBe('azureStorage');
    expect(allowedValues(sku)).toEqual(['Consumption', 'Dedicated']);
    expect(paramDefault(main(), 'durableTaskSchedulerSku')).toBe('Consumption');
  });

  it('comes from the azd environment through main.parameters.json, with the same defaults as main.bicep', () => {
    expect(environmentReference('durableBackend')).toEqual({ variable: 'DURABLE_BACKEND', fallback: 'azureStorage' });
    expect(environmentReference('durableTaskSchedulerSku')).toEqual({
      variable: 'DURABLE_TASK_SCHEDULER_SKU',
      fallback: 'Consumption',
    });
    // Every value given is a parameter of main.bicep, and every parameter without a default is
    // given (azd would stop to ask for it otherwise).
    const params = main().declarations.filter((d) => d.keyword === 'param');
    const given = Object.keys(parameters().parameters);
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(given));
    for (const param of params.filter((p) => p.value === undefined)) {
      expect(given, `main.parameters.json gives ${param.name}`).toContain(param.name);
    }
    for (const name of given) {
      const { fallback } = environmentReference(name);
      const allowed = allowedValues(declaration(main(), 'param', name));
      if (fallback !== undefined && allowed) expect(allowed).toContain(fallback);
    }
  });

  it('is provisioned by azd from infra/main.bicep (azure.yaml), which passes it to the app', () => {
    const azureYaml = read('azure.yaml');
    const infra = /^infra:\n((?: {2}.*\n)+)/m.exec(azureYaml)?.[1] ?? '';
    const field = (key: string) => new RegExp(`^ {2}${key}: (\\S+)$`, 'm').exec(infra)?.[1];
    expect(field('provider')).toBe('bicep');
    const module = path.join(field('path') ?? '', field('module') ?? '');
    expect(existsSync(path.join(ROOT, `${module}.bicep`))).toBe(true);
    expect(existsSync(path.join(ROOT, `${module}.parameters.json`))).toBe(true);
    expect(module).toBe(path.join('infra', 'main'));

    expect(text(moduleParams(main(), 'app/api.bicep').durableBackend)).toBe('durableBackend');
    expect(text(declaration(main(), 'output', 'DURABLE_BACKEND').value)).toBe('durableBackend');
  });
});

describe('the Durable Task Scheduler (infra/app/durableTaskScheduler.bicep)', () => {
  it('is deployed only when the backend is durableTaskScheduler, with the chosen SKU', () => {
    const module = main().declarations.find(
      (d) => d.keyword === 'module' && d.type === 'app/durableTaskScheduler.bicep',
    );
    expect(module?.value?.kind).toBe('if');
    const condition = module?.value?.kind === 'if' ? module.value.condition : '';
    const flag = text(declaration(main(), 'var', condition).value);
    expect(flag?.replace(/\s+/g, ' ')).toBe("durableBackend == 'durableTaskScheduler'");

    const params = moduleParams(main(), 'app/durableTaskScheduler.bicep');
    expect(text(params.skuName)).toBe('durableTaskSchedulerSku');
    expect(allowedValues(declaration(scheduler(), 'param', 'skuName'))).toEqual(
      allowedValues(declaration(main(), 'param', 'durableTaskSchedulerSku')),
    );
  });

  it('creates a scheduler and a task hub in it, on a released (not preview) API version', () => {
    const [schedulerResource, ...moreSchedulers] = resourcesOf(scheduler(), 'Microsoft.DurableTask/schedulers');
    const [taskHub, ...moreHubs] = resourcesOf(scheduler(), 'Microsoft.DurableTask/schedulers/taskHubs');
    expect(moreSchedulers).toEqual([]);
    expect(moreHubs).toEqual([]);
    for (const resource of [schedulerResource, taskHub]) {
      expect(resource?.existing).toBe(false);
      expect(resource?.type).toMatch(/@\d{4}-\d{2}-\d{2}$/);
    }
    expect(text(at(taskHub?.value, 'parent'))).toBe(schedulerResource?.name);
    expect(text(at(taskHub?.value, 'name'))).toBe('taskHubName');

    // The scheduler refuses every caller when its IP allow list is empty.
    const allowList = at(schedulerResource?.value, 'properties', 'ipAllowlist');
    expect(allowList?.kind === 'array' && allowList.items.map(stringValue)).toEqual(['0.0.0.0/0']);
    // Dedicated takes a capacity (units); Consumption takes none.
    const sku = text(at(schedulerResource?.value, 'properties', 'sku'))?.replace(/\s+/g, ' ');
    expect(sku).toBe("skuName == 'Dedicated' ? { name: 'Dedicated', capacity: 1 } : { name: 'Consumption' }");
  });

  it('gives the app identity Durable Task Data Contributor on the task hub, and the task hub to the app', () => {
    expect(stringValue(declaration(scheduler(), 'var', 'durableTaskDataContributorRoleId').value)).toBe(
      DURABLE_TASK_DATA_CONTRIBUTOR,
    );
    const taskHub = resourcesOf(scheduler(), 'Microsoft.DurableTask/schedulers/taskHubs')[0];
    const assignments = resourcesOf(scheduler(), 'Microsoft.Authorization/roleAssignments');
    const forApp = assignments.find((a) => text(at(a.value, 'properties', 'principalId')) === 'appPrincipalId');
    expect(forApp?.value?.kind).toBe('object');
    expect(text(at(forApp?.value, 'scope'))).toBe(taskHub?.name);
    expect(text(at(forApp?.value, 'properties', 'roleDefinitionId'))).toBe(
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributorRoleId)",
    );
    expect(stringValue(at(forApp?.value, 'properties', 'principalType'))).toBe('ServicePrincipal');
    expect(text(at(forApp?.value, 'name'))).toBe(
      `guid(${taskHub?.name ?? ''}.id, appPrincipalId, durableTaskDataContributorRoleId)`,
    );

    // The identity with the role is the one the app runs as and names in its connection string.
    const params = moduleParams(main(), 'app/durableTaskScheduler.bicep');
    expect(text(params.appPrincipalId)).toBe('identity.outputs.principalId');
    const apiParams = moduleParams(main(), 'app/api.bicep');
    expect(text(apiParams.identityId)).toBe('identity.outputs.id');
    expect(text(apiParams.identityClientId)).toBe('identity.outputs.clientId');

    // The person running azd may open the task hub in the dashboard; only if azd names one.
    const forPerson = assignments.find(
      (a) => text(at(a.value, 'properties', 'principalId')) === 'dashboardPrincipalId',
    );
    expect(forPerson?.value?.kind === 'if' && forPerson.value.condition).toBe('!empty(dashboardPrincipalId)');
    expect(text(params.dashboardPrincipalId)).toBe('principalId');

    // The app starts after its role assignment exists, with the scheduler's endpoint and task hub.
    expect(text(at(declaration(scheduler(), 'output', 'endpoint').value))).toBe('scheduler.properties.endpoint');
    const apiModule = main().declarations.find((d) => d.keyword === 'module' && d.type === 'app/api.bicep');
    const dependsOn = at(apiModule?.value, 'dependsOn');
    expect(dependsOn?.kind === 'array' && dependsOn.items.map(text)).toContain('durableTaskScheduler');
    expect(text(apiParams.durableTaskSchedulerEndpoint)).toBe(
      "useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''",
    );
    expect(text(apiParams.durableTaskHubName)).toBe(
      "useDurableTaskScheduler ? durableTaskScheduler!.outputs.taskHubName : ''",
    );
  });
});

describe('the app settings that select the backend (infra/app/api.bicep)', () => {
  const names = (settings: AppSetting[]) => settings.map((s) => s.name);

  it('add the scheduler provider settings only when the backend is durableTaskScheduler', () => {
    const { always, schedulerOnly, condition } = appSettings();
    expect(condition).toBe("durableBackend == 'durableTaskScheduler'");
    expect(allowedValues(declaration(api(), 'param', 'durableBackend'))).toEqual(
      allowedValues(declaration(main(), 'param', 'durableBackend')),
    );
    expect(names(schedulerOnly).sort()).toEqual(Object.values(SCHEDULER_SETTINGS).sort());
    // With Azure Storage nothing overrides host.json: the provider is its default, on AzureWebJobsStorage.
    expect(names(always).filter((n) => n.startsWith('AzureFunctionsJobHost__'))).toEqual([]);
    expect(names(always)).toEqual(
      expect.arrayContaining(['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__credential']),
    );
    expect(new Set([...names(always), ...names(schedulerOnly)]).size).toBe(always.length + schedulerOnly.length);
  });

  it('select the azureManaged provider with an identity connection string, and the task hub Bicep created', () => {
    const { schedulerOnly } = appSettings();
    const value = (name: string) => schedulerOnly.find((s) => s.name === name)?.value;
    expect(stringValue(value(SCHEDULER_SETTINGS.type))).toBe('azureManaged');
    expect(stringValue(value(SCHEDULER_SETTINGS.connectionStringName))).toBe(SCHEDULER_SETTINGS.connectionString);
    expect(text(value(SCHEDULER_SETTINGS.hubName))).toBe('durableTaskHubName');
    expect(stringValue(value(SCHEDULER_SETTINGS.connectionString))).toBe(
      'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}',
    );
  });

  it('leave host.json the same for both backends and for local runs', () => {
    const durableTask = hostJson().extensions.durableTask;
    expect(durableTask.storageProvider).toBeUndefined();
    // One task hub name: host.json's, which the scheduler's task hub gets too (its names: 3 to 64
    // letters, digits and hyphens).
    expect(stringValue(declaration(main(), 'var', 'durableTaskHubName').value)).toBe(durableTask.hubName);
    expect(durableTask.hubName).toMatch(/^[a-zA-Z0-9-]{3,64}$/);
    expect(text(moduleParams(main(), 'app/durableTaskScheduler.bicep').taskHubName)).toBe('durableTaskHubName');
  });

  it("use an extension bundle range that admits the scheduler's provider (bundle 4.30.0 and later)", () => {
    const { id, version } = hostJson().extensionBundle;
    expect(id).toBe('Microsoft.Azure.Functions.ExtensionBundle');
    const range = /^\[\s*(\d+)\.(\*|\d+)(?:\.(\*|\d+))?\s*,\s*(\d+)\.(\d+)\.(\d+)\s*\)$/.exec(version);
    if (!range) throw new Error(`unexpected bundle range ${version}`);
    const lower = [range[1], range[2], range[3]].map((part) => (part === '*' || part === undefined ? 0 : Number(part)));
    const upper = [range[4], range[5], range[6]].map(Number);
    const compare = (a: readonly number[], b: readonly number[]) =>
      (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0);
    // The floor is in the range: the host takes the newest bundle the range admits.
    expect(compare(lower, SCHEDULER_BUNDLE_FLOOR)).toBeLessThanOrEqual(0);
    expect(compare(upper, SCHEDULER_BUNDLE_FLOOR)).toBeGreaterThan(0);
  });
});

describe('no secrets in the deployment', () => {
  const infraFiles = [
    'infra/main.bicep',
    ...readdirSync(path.join(ROOT, 'infra/app'))
      .filter((f) => f.endsWith('.bicep'))
      .map((f) => `infra/app/${f}`),
  ];

  it('has no key, secure parameter or key-based connection string in any Bicep file or parameter', () => {
    for (const file of [...infraFiles, 'infra/main.parameters.json']) {
      const source = read(file);
      expect(source, file).not.toMatch(
        /listKeys|listConnectionStrings|listSecrets|AccountKey=|SharedAccessKey|AccessKey=|@secure\(\)|password/i,
      );
      expect(source, file).not.toMatch(/Authentication=(?!ManagedIdentity)/);
    }
    const { always, schedulerOnly } = appSettings();
    for (const setting of [...always, ...schedulerOnly]) {
      expect(setting.name).not.toMatch(/KEY|SECRET|PASSWORD|TOKEN/i);
      const literal = setting.value.kind === 'string' ? setting.value.value : '';
      expect(literal, setting.name).not.toMatch(/(?:Key|Secret|Password|Signature)=/i);
    }
  });

  it('parses every Bicep file of infra/ (so the checks above read all of them)', () => {
    for (const file of infraFiles) {
      const parsed = parseBicep(read(file));
      expect(parsed.declarations.length, file).toBeGreaterThan(0);
      for (const resource of parsed.declarations.filter((d) => d.keyword === 'resource')) {
        expect(resource.type, `${file} ${resource.name}`).toMatch(
          /^Microsoft\.[A-Za-z]+\/[A-Za-z/]+@\d{4}-\d{2}-\d{2}$/,
        );
      }
    }
    expect(parseValue("{ a: 'x', b: [1, 2] }").kind).toBe('object');
  });
});

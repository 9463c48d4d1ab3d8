import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';
import { waitForStatus } from '../../support/hostProcess';

const APP = path.resolve(__dirname, '../../fixtures/apps/partialStartup');
let stack: HostOnAzurite;

beforeAll(async () => {
  stack = await startHostOnAzurite(APP);
});

afterAll(async () => {
  await stack?.stop();
});

/** The lines "The '<name>' function is in error: ..." the host logged at start, by function. */
function errorLines(): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  for (const match of stack.host.output().matchAll(/^.*The '([^']+)' function is in error: (.*)$/gm)) {
    lines.set(match[1], [...(lines.get(match[1]) ?? []), match[2]]);
  }
  return lines;
}

/** The function table the host printed, by name: what follows the colon. */
function listed(): Map<string, string> {
  const table = stack.host.output().split('Functions:')[1]?.split('Host started')[0] ?? '';
  return new Map([...table.matchAll(/^\s+(\w+): (.*)$/gm)].map((m) => [m[1], m[2]]));
}

describe('an app with functions the host cannot run starts in partial mode, as the Functions host does', () => {
  it('logs one line per function in error, with the reason, and no stack trace', () => {
    const expected: [string, RegExp][] = [
      [
        'sendSmsChallenge',
        /output binding '\w+' of type 'twilioSms' comes with the extension bundle, but this local host does not serve it/,
      ],
      ['textAlert', /of type 'twilioSms' comes with the extension bundle/],
      ['save', /of type 'cosmosDB' comes with the extension bundle/],
      ['nightly', /^the timer schedule "0 0 25 \* \* \*" is not valid: .*hour/],
      ['fromSetting', /^'%NO_SUCH_QUEUE%' does not resolve to a value: app setting "NO_SUCH_QUEUE" is not set\.$/],
      ['work', /^the storage connection setting "MissingStorage" is not set/],
      ['badQueueName', /^queue name "Work_Items" is not valid/],
      ['events', /^its trigger of type 'eventHubTrigger' comes with the extension bundle/],
      ['uploads', /^its blob trigger has source EventGrid/],
      ['badContainer', /^blob trigger path "Up_Loads\/\{name\}" is not valid: container "Up_Loads"/],
      [
        'notifyByFax',
        /^The binding type\(s\) 'faxMachine' were not found in the configured extension bundle\. Please ensure the type is correct and the correct version of extension bundle is configured$/,
      ],
      [
        'onCarrierPigeon',
        /^The binding type\(s\) 'carrierPigeonTrigger' were not found in the configured extension bundle/,
      ],
    ];
    const lines = errorLines();
    for (const [name, reason] of expected) {
      expect(lines.get(name), name).toHaveLength(1);
      expect(lines.get(name)?.[0]).toMatch(reason);
    }
    expect([...lines.keys()].sort()).toEqual(expected.map(([name]) => name).sort());
    expect(stack.host.output()).not.toMatch(/^\s+at /m);
  });

  it('lists the functions that failed indexing and leaves out those that could not be built', () => {
    const table = listed();
    for (const name of ['hello', 'greet', 'verifyPhone', 'startVerify', 'sendSmsChallenge', 'textAlert', 'nightly'])
      expect(table.has(name), name).toBe(true);
    expect(table.has('notifyByFax')).toBe(false);
    expect(table.has('onCarrierPigeon')).toBe(false);
  });

  it('serves every other function', async () => {
    const hello = await fetch(`${stack.host.url}/api/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.text()).toBe('still serving');
  });

  it('keeps the route of a function that failed indexing, which answers 500 with its error', async () => {
    const alert = await fetch(`${stack.host.url}/api/textAlert`);
    expect(alert.status).toBe(500);
    expect(((await alert.json()) as { Message: string }).Message).toMatch(
      /^The 'textAlert' function is in error: .*'twilioSms'/,
    );
  });

  it('has no route for a function that could not be built', async () => {
    expect((await fetch(`${stack.host.url}/api/notifyByFax`)).status).toBe(404);
  });

  it('fails an orchestration that calls an activity in error, as the extension fails one calling a missing activity', async () => {
    const started = await fetch(`${stack.host.url}/api/startVerify`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    const done = await waitForStatus(statusQueryGetUri);
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toMatch(
      /The function 'sendSmsChallenge' doesn't exist, is disabled, or is not an activity function\. Additional info: The following are the known activity functions: 'greet'\./,
    );
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostOnAzurite, type HostOnAzurite } from '../../support/hostOnAzurite';

// An app whose host.json quiets one function's own lines below Warning: the host must write
// that function's warnings and errors, not its information lines, and leave the other alone.
const ROOT = path.resolve(__dirname, '../../..');
let running: HostOnAzurite | undefined;
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
  running = await startHostOnAzurite(appDir);
});

afterAll(async () => {
  await running?.stop();
  fs.rmSync(appDir, { recursive: true, force: true });
});

describe('the host honours host.json logging.logLevel', () => {
  it("writes a function's lines at or above the level its category is given, and the rest at default", async () => {
    for (const name of ['quiet', 'chatty'])
      expect((await fetch(`${running?.host.url ?? ''}/api/${name}`)).status).toBe(200);
    // The lines reach us through the host's stdout and stderr, which may trail its HTTP answers.
    const expected = ['quiet says warning', 'quiet says error', 'chatty says information', 'chatty says warning'];
    const output = (): string => running?.host.output() ?? '';
    for (let i = 0; i < 200 && !expected.every((line) => output().includes(line)); i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    const written = output();
    expect(written).not.toContain('quiet says information');
    expect(written).toContain('quiet says warning');
    expect(written).toContain('quiet says error');
    expect(written).toContain('chatty says information');
    expect(written).toContain('chatty says warning');
  });
});

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AppSettings, SettingsError } from '../src/saga/settingsReader';
import { readCosmosSettings } from '../src/services/cosmosClient';
import { seedDemoData } from '../src/services/seedData';

// `npm run seed` (node dist/scripts/seed.js [--reset]): creates the database and containers if
// missing and loads the demo data into whatever COSMOS_ENDPOINT points at. Settings come from the
// environment first, then from local.settings.json "Values", the way Core Tools reads them.

const usage = `usage: node dist/scripts/seed.js [--reset]

Creates the saga's Cosmos containers if missing and loads the demo SKUs, accounts and delivery
zones into COSMOS_ENDPOINT / COSMOS_DATABASE (environment first, then local.settings.json).

  --reset   overwrite existing demo documents (refills stock, restores balances)`;

function localSettingsValues(): AppSettings {
  const candidates = [path.resolve(__dirname, '..', '..', 'local.settings.json'), path.resolve('local.settings.json')];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file === undefined) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: unknown };
  const values = parsed.Values;
  if (values === null || typeof values !== 'object') return {};
  return Object.fromEntries(
    Object.entries(values as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const unknown = args.filter((arg) => arg !== '--reset');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}\n\n${usage}`);
    return 2;
  }

  const settings: AppSettings = { ...localSettingsValues(), ...process.env };
  let cosmos;
  try {
    cosmos = readCosmosSettings(settings);
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`seed: ${error.message}`);
      return 2;
    }
    throw error;
  }

  console.log(
    `seed: ${cosmos.endpoint} database "${cosmos.databaseId}" (${cosmos.key ? 'key' : 'Microsoft Entra ID'})`,
  );
  try {
    const report = await seedDemoData({ settings: cosmos, reset: args.includes('--reset') });
    console.log(`seed: containers ${report.containers.join(', ')}`);
    console.log(`seed: ${report.written} documents written, ${report.kept} already there and kept`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`seed: failed: ${message}`);
    if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(message)) {
      console.error(`seed: is a Cosmos DB (or the local Cosmos-protocol server) listening at ${cosmos.endpoint}?`);
    }
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);

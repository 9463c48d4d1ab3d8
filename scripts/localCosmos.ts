import { parseArgs } from 'node:util';
import { CosmosClient } from '@azure/cosmos';
import { createHttpServer } from '@vercel/cosmosdb-server';
import { cosmosClientOptions, readCosmosSettings } from '../src/services/cosmosClient';
import { seedDemoData } from '../src/services/seedData';
import { readSnapshotFile, restoreSnapshot, takeSnapshot, writeSnapshotFile } from './cosmosSnapshot';
import { READY_LINE } from './localCosmosProcess';

/**
 * The embedded Cosmos-protocol server of `npm start`, as its own process (started detached by
 * scripts/start.ts, so it outlives `npm start` killed with -9, like Azurite). Its data lives in
 * memory and in a snapshot file: loaded at start (the demo data when there is none), saved every
 * --interval ms when it changed, and on SIGINT/SIGTERM before it exits.
 *
 *   node dist/scripts/localCosmos.js --port 8081 --data .cosmos/data.json [--interval 1000]
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      interval: { type: 'string', default: '1000' },
    },
  });
  const port = Number(values.port);
  const interval = Number(values.interval);
  if (!Number.isInteger(port) || port <= 0 || !values.data || !Number.isInteger(interval) || interval <= 0) {
    throw new Error('usage: localCosmos.js --port N --data FILE [--interval MS]');
  }
  const file = values.data;
  const server = createHttpServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const settings = readCosmosSettings({ ...process.env, COSMOS_ENDPOINT: endpoint, COSMOS_KEY: 'local' });
  const client = new CosmosClient(cosmosClientOptions(settings));

  const snapshot = readSnapshotFile(file);
  let loaded: string;
  if (snapshot) {
    loaded = `${await restoreSnapshot(client, snapshot)} documents restored from ${file}`;
  } else {
    loaded = `demo data loaded: ${JSON.stringify(await seedDemoData({ settings, client }))}`;
  }
  let saved = '';
  let saving: Promise<void> = Promise.resolve();
  // One save at a time; a failed one does not stop the next.
  const save = (): Promise<void> =>
    (saving = saving
      .catch(() => undefined)
      .then(async () => {
        const text = JSON.stringify(await takeSnapshot(client));
        if (text !== saved) {
          writeSnapshotFile(file, text);
          saved = text;
        }
      }));
  await save();
  console.log(`${READY_LINE} ${endpoint} (in memory, saved to ${file}), ${loaded}`);

  const timer = setInterval(() => {
    save().catch((error: unknown) => console.error(`Saving ${file} failed: ${String(error)}`));
  }, interval);
  const stop = async (): Promise<void> => {
    clearInterval(timer);
    try {
      await save();
      console.log(`Saved ${file}; stopping.`);
    } catch (error) {
      console.error(`Saving ${file} failed, the previous snapshot stays: ${String(error)}`);
    }
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import path from 'node:path';
import { createHttpServer } from '@vercel/cosmosdb-server';
import { portAnswers } from '../host/azurite';
import { applyLocalSettings } from '../host/config/hostConfig';
import { StartupError } from '../host/config/startupError';
import { startFunctionsHost } from '../host/functionsHost';
import { seedDemoData } from '../src/services/seedData';

/**
 * `npm start` for this app: the local host, plus the embedded Cosmos-protocol server when
 * COSMOS_ENDPOINT points at the local default and nothing answers there. That server keeps data
 * in memory only, so a fresh one gets the demo data; a Cosmos you run yourself is never seeded
 * behind your back (use `npm run seed`).
 */
const ROOT = path.resolve(__dirname, '../..');

async function startLocalCosmos(): Promise<(() => Promise<void>) | undefined> {
  const endpoint = new URL(process.env.COSMOS_ENDPOINT ?? 'http://127.0.0.1:8081');
  const local = endpoint.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(endpoint.hostname);
  const port = Number(endpoint.port || 80);
  if (!local || (await portAnswers(port))) return undefined;
  const server = createHttpServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const report = await seedDemoData();
  console.log(
    `Embedded Cosmos-protocol server on ${endpoint.origin} (in memory), demo data loaded: ${JSON.stringify(report)}`,
  );
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

async function main(): Promise<void> {
  applyLocalSettings(ROOT);
  const stopCosmos = await startLocalCosmos();
  const port = Number(process.env.PORT ?? 7071);
  const host = await startFunctionsHost({ appDir: ROOT, port });
  console.log(
    `\nTry: curl -i -X POST http://localhost:${host.port}/api/orders -H 'content-type: application/json' --data @examples/orders/order-ok.json\n`,
  );
  const shutdown = async (): Promise<void> => {
    await host.stop();
    await stopCosmos?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error instanceof StartupError ? `Error: ${error.message}` : error);
  process.exit(1);
});

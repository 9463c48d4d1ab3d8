import path from 'node:path';
import { applyLocalSettings } from '../host/config/hostConfig';
import { StartupError } from '../host/config/startupError';
import { startFunctionsHost } from '../host/functionsHost';
import { consoleLogger } from '../host/logging/hostLogger';
import { ensureLocalCosmos } from './localCosmosProcess';

/**
 * `npm start` for this app: the local host, plus the embedded Cosmos-protocol server when
 * COSMOS_ENDPOINT points at the local default and nothing answers there. That server runs detached
 * like the host's Azurite and keeps its data in .cosmos/data.json (the demo data the first time),
 * so the task hub and the saga data survive a restart together; a Cosmos you run yourself is never
 * seeded behind your back (use `npm run seed`).
 */
const ROOT = path.resolve(__dirname, '../..');

const logger = consoleLogger();

async function startLocalCosmos(): Promise<(() => Promise<void>) | undefined> {
  const endpoint = new URL(process.env.COSMOS_ENDPOINT ?? 'http://127.0.0.1:8081');
  const local = endpoint.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(endpoint.hostname);
  if (!local) return undefined;
  const cosmos = await ensureLocalCosmos(
    Number(endpoint.port || 80),
    ROOT,
    path.join(__dirname, 'localCosmos.js'),
    logger,
  );
  if (cosmos.origin === 'taken over')
    console.log(
      `Embedded Cosmos-protocol server on ${endpoint.origin} still running from the previous start: using it.`,
    );
  return cosmos.stop;
}

async function main(): Promise<void> {
  applyLocalSettings(ROOT);
  const stopCosmos = await startLocalCosmos();
  const port = Number(process.env.PORT ?? 7071);
  let host: Awaited<ReturnType<typeof startFunctionsHost>>;
  try {
    host = await startFunctionsHost({
      appDir: ROOT,
      port,
      logger,
      // The host stopped itself (its language workers kept failing) and said why in one line.
      onFailed: () => void Promise.resolve(stopCosmos?.()).then(() => process.exit(1)),
    });
  } catch (error) {
    await stopCosmos?.();
    throw error;
  }
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
  // One line, as the host's own CLI: a start-up failure names the file and setting, not a stack.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Error: ${error instanceof StartupError ? message : `npm start failed: ${message}`}`);
  process.exit(1);
});

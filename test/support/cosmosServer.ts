import { AddressInfo } from 'node:net';
import { createHttpServer } from '@vercel/cosmosdb-server';

// The Cosmos-protocol server (@vercel/cosmosdb-server) in this process, on a free loopback port,
// over plain HTTP. In-memory and empty at every start. The app's CosmosClient needs
// COSMOS_ENDPOINT=endpoint and accepts any key; endpoint discovery is switched off by the app
// itself for http:// endpoints.

export interface CosmosTestServer {
  /** e.g. http://127.0.0.1:49321 */
  readonly endpoint: string;
  readonly key: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The well-known public key of the Cosmos DB emulator: not a secret, and any key works here. */
export const cosmosEmulatorKey =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export async function startCosmosServer(port = 0): Promise<CosmosTestServer> {
  const server = createHttpServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    key: cosmosEmulatorKey,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of clients would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

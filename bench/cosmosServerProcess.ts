import { createHttpServer } from '@vercel/cosmosdb-server';

/**
 * The benchmark's Cosmos-protocol server, in a process of its own so neither the load generator
 * nor the host slows it. Not the package's CLI: that one answers `Connection: close`, and a new
 * TCP connection per request would be most of what the benchmark measured. It counts the requests
 * it serves and tells the benchmark the count when asked over IPC (Cosmos calls per saga).
 */
let requests = 0;
const server = createHttpServer({ keepAlive: true });
server.on('request', () => {
  requests++;
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
process.on('message', () => process.send?.({ requests }));
process.on('SIGINT', () => server.close(() => process.exit(0)));

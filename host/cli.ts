#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { StartupError } from './config/startupError';
import { startFunctionsHost } from './functionsHost';
import { consoleLogger } from './logging/hostLogger';

const USAGE = `Usage: node dist/host/cli.js start [appDir] [--port 7071] [--in-memory] [--verbose] [--time-skipping]

Runs a durable-functions 3.x app the way \`func start\` does, with its durable state in Azure
Storage (Azurite, started when AzureWebJobsStorage=UseDevelopmentStorage=true and none answers;
that Azurite runs detached, logs to <appDir>/.azurite/azurite.log, outlives a crash of the host
and is taken over by the next start; Ctrl-C stops it).
  --port N      port to serve on (default 7071)
  --in-memory   a started Azurite keeps nothing on disk (default: persist under <appDir>/.azurite)
  --verbose     log every function execution
  --time-skipping  for tests: durable timers fire as soon as nothing else can run, on a clock
                that jumps ahead (off by default)`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        'in-memory': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        'time-skipping': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, appDir, ...extra] = positionals;
  if (command !== 'start' || extra.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    console.error(`--port ${String(values.port)} is not a TCP port number.`);
    return 2;
  }
  try {
    let failed: (() => void) | undefined;
    const stoppedOnItsOwn = new Promise<number>((resolve) => (failed = () => resolve(1)));
    const host = await startFunctionsHost({
      appDir,
      port,
      inMemoryStorage: values['in-memory'],
      timeSkipping: values['time-skipping'],
      logger: consoleLogger(values.verbose),
      // The host already said why in one line (its language workers kept failing).
      onFailed: () => failed?.(),
    });
    const stoppedBySignal = new Promise<number>((resolve) => {
      const shutdown = (): void => {
        console.log('Stopping: in-flight work finishes or stays durable for the next start…');
        void host.stop().then(() => resolve(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
    return await Promise.race([stoppedBySignal, stoppedOnItsOwn]);
  } catch (error) {
    // One line whatever failed: a start-up failure is read by a person at a terminal, not debugged
    // from a stack (StartupErrors already name the file and setting).
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Error: ${error instanceof StartupError ? message : `the host could not start: ${message}`}`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));

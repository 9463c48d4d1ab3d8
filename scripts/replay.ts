import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadHostConfig } from '../host/config/hostConfig';
import { StartupError } from '../host/config/startupError';
import { readHistoryFile } from '../host/replay/history/historyFile';
import type { RecordedHistory } from '../host/replay/history/recordedHistory';
import { HistorySourceError, type HistorySourceProblem } from '../host/replay/historySourceError';
import { loadReplayApp } from '../host/replay/replayApp';
import { checkReplay } from '../host/replay/replayCheck';
import type { ReplayReport } from '../host/replay/replayReport';
import { reportText } from '../host/replay/reportText';
import { readInstanceHistory, taskHubLayouts, type TaskHubLayout } from '../host/replay/taskHub/instanceHistory';

// `npm run replay -- <history.json>...` or `npm run replay -- --instance ID`: replays recorded
// orchestration histories against the app's current code, so a nondeterministic change shows up
// before deploying instead of in production.

const USAGE = `Usage:
  replay <history.json>... [--app DIR]
  replay --instance ID [--hub NAME] [--connection STRING] [--layout host|azure-storage] [--app DIR]

Replays each history against the current orchestrator code of the app in DIR (default: .).
  --instance ID        read the instance's current execution from a task hub
  --hub NAME           task hub name (default: the app's host.json extensions.durableTask.hubName)
  --connection STRING  storage connection string (default: the app's AzureWebJobsStorage, from the
                       environment or local.settings.json; UseDevelopmentStorage=true = local Azurite)
  --layout LAYOUT      host (this project's local host) or azure-storage (a deployed app's
                       Durable Task Azure Storage hub); default: whichever the hub has
  --json               print the reports as JSON
Exit codes: 0 every replay matches; 1 a replay does not match (or names an orchestrator the app
lacks); 2 bad usage (arguments, not a history, no such file, hub or instance); 3 could not check
(storage does not answer, the app does not load).`;

const EXIT = { match: 0, mismatch: 1, usage: 2, cannotCheck: 3 } as const;

class UsageError extends Error {}

const PROBLEM_EXIT: Record<HistorySourceProblem, number> = {
  'not-a-history': EXIT.usage,
  'hub-not-found': EXIT.usage,
  'instance-not-found': EXIT.usage,
  'bad-connection': EXIT.usage,
  'ambiguous-layout': EXIT.usage,
  'storage-not-answering': EXIT.cannotCheck,
};

interface Options {
  files: string[];
  appDir: string;
  instance?: string;
  hub?: string;
  connection?: string;
  layout?: TaskHubLayout;
  json: boolean;
  help: boolean;
}

function readOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        app: { type: 'string' },
        instance: { type: 'string' },
        hub: { type: 'string' },
        connection: { type: 'string' },
        layout: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const options: Options = {
    files: positionals,
    appDir: path.resolve(values.app ?? '.'),
    json: values.json,
    help: values.help,
  };
  if (options.help) return options;
  if (values.layout !== undefined && !taskHubLayouts.includes(values.layout as TaskHubLayout)) {
    throw new UsageError(`--layout must be ${taskHubLayouts.join(' or ')}, not '${values.layout}'.`);
  }
  if (values.instance !== undefined) {
    if (positionals.length > 0) throw new UsageError('Give either history files or --instance, not both.');
    if (values.instance.length === 0) throw new UsageError('--instance needs an instance id.');
    return {
      ...options,
      instance: values.instance,
      hub: values.hub,
      connection: values.connection,
      layout: values.layout as TaskHubLayout | undefined,
    };
  }
  for (const flag of ['hub', 'connection', 'layout'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} only applies with --instance.`);
  }
  if (positionals.length === 0) throw new UsageError('Name a history file, or an instance with --instance ID.');
  return options;
}

/** Hub and connection from the flags, else from the app's host.json and settings, as the host reads them. */
function taskHubOf(options: Options): { hubName: string; connection: string } {
  if (options.hub !== undefined && options.connection !== undefined)
    return { hubName: options.hub, connection: options.connection };
  const env = { ...process.env };
  if (options.connection !== undefined) env.AzureWebJobsStorage ??= options.connection;
  try {
    const config = loadHostConfig({ appDir: options.appDir }, env);
    return { hubName: options.hub ?? config.hubName, connection: options.connection ?? config.storageConnection };
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    throw new UsageError(`${error.message} (or pass --hub and --connection)`);
  }
}

async function histories(options: Options): Promise<RecordedHistory[]> {
  if (options.instance === undefined) return options.files.flatMap((file) => readHistoryFile(file));
  const { hubName, connection } = taskHubOf(options);
  return [await readInstanceHistory({ connection, hubName, instanceId: options.instance, layout: options.layout })];
}

async function main(argv: string[]): Promise<number> {
  const options = readOptions(argv);
  if (options.help) {
    console.log(USAGE);
    return EXIT.match;
  }
  const recorded = await histories(options);
  const app = loadReplayApp(options.appDir);
  const reports: ReplayReport[] = [];
  for (const history of recorded) reports.push(await checkReplay(app, history));
  if (options.json) console.log(JSON.stringify(reports, null, 2));
  else for (const report of reports) console.log(reportText(report).join('\n'));
  return reports.every((r) => r.ok) ? EXIT.match : EXIT.mismatch;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof HistorySourceError) return PROBLEM_EXIT[error.problem];
  return EXIT.cannotCheck;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const hint = error instanceof UsageError ? ' Run with --help for usage.' : '';
    console.error(`replay: ${error instanceof Error ? error.message : String(error)}${hint}`);
    process.exit(exitCodeOf(error));
  },
);

import { startTestAzurite, type RunningAzurite } from './azuriteProcess';
import { startHostProcess, type HostProcess } from './hostProcess';

export interface HostOnAzurite {
  azurite: RunningAzurite;
  host: HostProcess;
  /** Stops the host (Ctrl-C), then Azurite. */
  stop(): Promise<void>;
}

/** The usual integration setup: a fresh Azurite of its own and the host on an app, using it. */
export async function startHostOnAzurite(
  appDir: string,
  env: Record<string, string> = {},
  options: { timeSkipping?: boolean } = {},
): Promise<HostOnAzurite> {
  const azurite = await startTestAzurite();
  try {
    const host = await startHostProcess(appDir, { AzureWebJobsStorage: azurite.connectionString, ...env }, options);
    return {
      azurite,
      host,
      stop: async () => {
        await host.stop();
        await azurite.stop();
      },
    };
  } catch (error) {
    await azurite.stop();
    throw error;
  }
}

import { FunctionIndexingError } from '../app/functionErrors';
import { appSetting } from '../config/appSettings';

/**
 * Resolves a binding's `connection` the way the Functions host does: it names an app setting
 * (also looked up with the `AzureWebJobs` prefix), `AzureWebJobsStorage` when empty. The
 * development-storage shortcut means the Azurite this host attached to.
 */
export class StorageConnections {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly developmentConnection: string,
  ) {}

  /** Puts the function in error, naming the setting, when nothing usable is configured. */
  resolve(connection: unknown, functionName: string): string {
    const name = typeof connection === 'string' && connection.trim() !== '' ? connection.trim() : 'AzureWebJobsStorage';
    const value = appSetting(this.env, name) ?? appSetting(this.env, `AzureWebJobs${name}`);
    if (value === undefined) {
      const identityBased = Object.keys(this.env).some((key) =>
        key.toLowerCase().startsWith(`${name.toLowerCase()}__`),
      );
      throw new FunctionIndexingError(
        functionName,
        identityBased
          ? `connection "${name}" is identity-based (${name}__...), which needs Azure; set ${name} to a connection string to run it locally.`
          : `the storage connection setting "${name}" is not set (local.settings.json Values or the environment).`,
      );
    }
    return /^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value) ? this.developmentConnection : value;
  }
}

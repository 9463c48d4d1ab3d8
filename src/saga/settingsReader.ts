import { formatIsoDuration, parseIsoDuration } from './isoDuration';

/** App settings as Azure Functions exposes them: environment variables, all strings. */
export type AppSettings = Readonly<Record<string, string | undefined>>;

/** Every unusable setting at once, so one restart fixes them all. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid app settings: ${problems.join('; ')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Reads typed settings and collects problems instead of throwing at the first one. Empty strings
 * count as unset, because portal and local.settings.json users blank a value to mean "default".
 */
export class SettingsReader {
  private readonly problems: string[] = [];

  constructor(private readonly settings: AppSettings) {}

  duration(name: string, defaultMs: number, limits: { minMs: number; maxMs: number }): number {
    const raw = this.raw(name);
    if (raw === undefined) return defaultMs;
    const ms = parseIsoDuration(raw);
    if (ms === undefined) {
      this.problems.push(`${name}="${raw}" is not an ISO-8601 duration such as PT5M`);
      return defaultMs;
    }
    if (ms < limits.minMs || ms > limits.maxMs) {
      this.problems.push(
        `${name}="${raw}" must lie between ${formatIsoDuration(limits.minMs)} and ${formatIsoDuration(limits.maxMs)}`,
      );
      return defaultMs;
    }
    return ms;
  }

  integer(name: string, defaultValue: number, limits: { min: number; max: number }): number {
    const raw = this.raw(name);
    if (raw === undefined) return defaultValue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
      this.problems.push(`${name}="${raw}" must be a whole number from ${limits.min} to ${limits.max}`);
      return defaultValue;
    }
    return value;
  }

  number(name: string, defaultValue: number, limits: { min: number; max: number }): number {
    const raw = this.raw(name);
    if (raw === undefined) return defaultValue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < limits.min || value > limits.max) {
      this.problems.push(`${name}="${raw}" must be a number from ${limits.min} to ${limits.max}`);
      return defaultValue;
    }
    return value;
  }

  /** Throws a SettingsError naming every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new SettingsError(this.problems);
  }

  private raw(name: string): string | undefined {
    const value = this.settings[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }
}

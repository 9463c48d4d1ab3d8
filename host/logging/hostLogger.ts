/** Where the host writes what `func start` would print: one line per event, with a timestamp. */
export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Lines only shown with --verbose (e.g. every Executing/Executed pair). */
  debug(message: string): void;
}

export function consoleLogger(verbose = false): HostLogger {
  const stamp = (): string => `[${new Date().toISOString()}]`;
  return {
    info: (m) => console.log(`${stamp()} ${m}`),
    warn: (m) => console.warn(`${stamp()} ${m}`),
    error: (m) => console.error(`${stamp()} ${m}`),
    debug: (m) => {
      if (verbose) console.log(`${stamp()} ${m}`);
    },
  };
}

// Drops every line on purpose: the replay tool prints its own report.
export const silentLogger: HostLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** Where the host writes what `func start` would print: one line per event, with a timestamp. */
export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Lines only shown with --verbose (e.g. every Executing/Executed pair). */
  debug(message: string): void;
}

/** What a line stream needs: Node's stdout and stderr, or a test's capture. */
export interface LineSink {
  write(text: string): unknown;
}

/**
 * Lines written within one turn of the event loop go out in one write. A loaded host logs several
 * lines per saga, and each write to a pipe is a synchronous system call: one per turn instead of
 * one per line took logging from 4.6% to 0.9% of the loaded host's CPU profile. Lines still
 * pending when the process exits are written on the way out.
 */
export class BatchedLines {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly sink: LineSink) {}

  push(line: string): void {
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.sink.write(text);
  }
}

/** This process's stdout, flushed at exit; made once so every logger shares one order. */
let standardOut: BatchedLines | undefined;

function stdoutLines(): BatchedLines {
  if (!standardOut) {
    const out = new BatchedLines(process.stdout);
    process.on('exit', () => out.flush());
    standardOut = out;
  }
  return standardOut;
}

export function consoleLogger(verbose = false): HostLogger {
  const out = stdoutLines();
  const line = (m: string): string => `[${new Date().toISOString()}] ${m}`;
  // Warnings and errors are rare and must be out before whatever follows them (a 500 answer, an
  // exit): the lines before them first, then at once.
  const now = (m: string): void => {
    out.flush();
    process.stderr.write(line(m) + '\n');
  };
  return {
    info: (m) => out.push(line(m)),
    warn: now,
    error: now,
    debug: (m) => {
      if (verbose) out.push(line(m));
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

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The project root, whether this file runs from test/ (vitest) or from dist/ (the benchmark). */
function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package-lock.json'))) dir = path.dirname(dir);
  return dir;
}

const ROOT = projectRoot();
const CLI = path.join(ROOT, 'dist/host/cli.js');

export interface HostProcess {
  url: string;
  output(): string;
  /** Graceful stop (Ctrl-C). */
  stop(): Promise<void>;
  /** kill -9: nothing gets to finish. */
  kill(): Promise<void>;
  child: ChildProcess;
}

/** Runs the built host CLI as its own process, the way `npm start` does, on a free port. */
export async function startHostProcess(
  appDir: string,
  env: Record<string, string>,
  options: { timeSkipping?: boolean; nodeArgs?: string[] } = {},
): Promise<HostProcess> {
  const args = [
    ...(options.nodeArgs ?? []),
    CLI,
    'start',
    appDir,
    '--port',
    '0',
    ...(options.timeSkipping ? ['--time-skipping'] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // The host names itself in WEBSITE_HOSTNAME unless the environment already does.
    env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([key]) => key !== 'WEBSITE_HOSTNAME')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start: ${output}`)), 30_000);
    const check = (): void => {
      const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        // Scanning the whole output on every later chunk cost the benchmark's process more with each line.
        child.stdout?.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${String(code)}: ${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls the status URL until the instance leaves Pending/Running (or the time is up). */
export async function waitForStatus(
  statusUrl: string,
  until: (status: { runtimeStatus: string }) => boolean = (s) =>
    ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus),
  timeoutMs = 30_000,
): Promise<Record<string, unknown> & { runtimeStatus: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(statusUrl);
    const body = (await response.json()) as Record<string, unknown> & { runtimeStatus: string };
    if (until(body)) return body;
    if (Date.now() > deadline)
      throw new Error(`instance still ${body.runtimeStatus} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

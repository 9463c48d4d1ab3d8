import os from 'node:os';
import type { Blobs } from '../storageServices/blobs';

/** The schedule monitor's record of a timer function, as the Functions host keeps it. */
export interface ScheduleStatus {
  last: Date | undefined;
  next: Date;
  lastUpdated: Date;
}

interface StatusJson {
  Last?: string;
  Next: string;
  LastUpdated: string;
}

const DEFAULT_TIME = '0001-01-01T00:00:00';

/**
 * The host id the Functions host uses in its storage paths: `AzureFunctionsWebHost__hostid` when
 * set, otherwise derived from the machine name (lowercase, at most 32 characters), as locally.
 */
export function functionsHostId(env: NodeJS.ProcessEnv): string {
  const configured = env.AzureFunctionsWebHost__hostid?.trim();
  const raw = configured && configured !== '' ? configured : os.hostname();
  const id = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 32)
    .replace(/-+$/, '');
  return id === '' ? 'localhost' : id;
}

/**
 * Schedule status blobs in `azure-webjobs-hosts/timers/<hostId>/<function>/status`, the path and
 * JSON shape of the Functions host's schedule monitor, so a restart knows what it missed.
 */
export class TimerStatusStore {
  constructor(
    private readonly blobs: Blobs,
    private readonly connectionString: string,
    private readonly hostId: string,
  ) {}

  private path(functionName: string): string {
    return `azure-webjobs-hosts/timers/${this.hostId}/Host.Functions.${functionName}/status`;
  }

  async read(functionName: string): Promise<ScheduleStatus | undefined> {
    const content = await this.blobs.read(this.connectionString, this.path(functionName));
    if (!content) return undefined;
    try {
      const json = JSON.parse(content.toString('utf8')) as StatusJson;
      const next = new Date(json.Next);
      const lastUpdated = new Date(json.LastUpdated);
      if (Number.isNaN(next.getTime()) || Number.isNaN(lastUpdated.getTime())) return undefined;
      const last = json.Last && !json.Last.startsWith(DEFAULT_TIME) ? new Date(json.Last) : undefined;
      return { last: last && !Number.isNaN(last.getTime()) ? last : undefined, next, lastUpdated };
    } catch {
      // An unreadable status is treated like none: the monitor starts afresh, as the host does.
      return undefined;
    }
  }

  async write(functionName: string, status: ScheduleStatus): Promise<void> {
    const json: StatusJson = {
      Last: status.last ? status.last.toISOString() : DEFAULT_TIME,
      Next: status.next.toISOString(),
      LastUpdated: status.lastUpdated.toISOString(),
    };
    await this.blobs.write(this.connectionString, this.path(functionName), Buffer.from(JSON.stringify(json)));
  }
}

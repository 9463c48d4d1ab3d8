import { AppSettings, SettingsReader } from './settingsReader';

// Purging saga history: which finished instances may go, and the settings that say when.

export const purgeScheduleSettingName = 'SAGA_HISTORY_PURGE_SCHEDULE';
export const retentionSettingName = 'SAGA_HISTORY_RETENTION';
/** Every day at 03:00 (NCRONTAB with seconds, UTC unless WEBSITE_TIME_ZONE says otherwise). */
export const defaultPurgeSchedule = '0 0 3 * * *';
export const defaultRetentionMs = 30 * 86_400_000;

/**
 * The purge timer's schedule. It is read once, when the functions register; the Functions host
 * checks it and refuses the function, naming it, when it is not an NCRONTAB schedule.
 */
export function readPurgeSchedule(settings: AppSettings): string {
  const value = settings[purgeScheduleSettingName]?.trim();
  return value === undefined || value === '' ? defaultPurgeSchedule : value;
}

/** Throws a SettingsError naming the setting when it is unusable. */
export function readRetentionMs(settings: AppSettings): number {
  const reader = new SettingsReader(settings);
  // Less than a day would purge sagas that operators may still be looking at.
  const ms = reader.duration(retentionSettingName, defaultRetentionMs, { minMs: 86_400_000, maxMs: 3650 * 86_400_000 });
  reader.done();
  return ms;
}

/** A finished instance as the durable client lists it. */
export interface FinishedInstance {
  readonly instanceId: string;
  readonly output?: unknown;
  readonly customStatus?: unknown;
}

function flagged(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { needsAttention?: unknown }).needsAttention === true;
}

/** The saga says so in its custom status (saga state) or in its output's body. */
export function needsAttention(instance: FinishedInstance): boolean {
  const output = instance.output as { body?: unknown } | null | undefined;
  return flagged(instance.customStatus) || flagged(output) || flagged(output?.body);
}

/** Sub-orchestrations of a saga are named `<sagaId>:<step>`. */
export function sagaIdOf(instanceId: string): string {
  const colon = instanceId.indexOf(':');
  return colon < 0 ? instanceId : instanceId.slice(0, colon);
}

export interface PurgePlan {
  /** Sagas (and their steps) that may go. */
  readonly purge: readonly string[];
  /** Kept because the saga needs attention: an operator must see its whole history. */
  readonly keptForAttention: number;
  /** Steps whose saga is not in the list: it runs still, or is newer; the caller asks about it. */
  readonly stepsOfUnlistedSagas: readonly string[];
}

/**
 * Splits finished instances older than the retention into what the purge removes and what it
 * keeps: a saga needing attention keeps its steps too.
 */
export function planPurge(finished: readonly FinishedInstance[]): PurgePlan {
  const byId = new Map(finished.map((i) => [i.instanceId, i]));
  const purge: string[] = [];
  const stepsOfUnlistedSagas: string[] = [];
  let keptForAttention = 0;
  for (const instance of finished) {
    const saga = byId.get(sagaIdOf(instance.instanceId));
    if (saga === undefined) stepsOfUnlistedSagas.push(instance.instanceId);
    else if (needsAttention(saga) || needsAttention(instance)) keptForAttention++;
    else purge.push(instance.instanceId);
  }
  return { purge, keptForAttention, stepsOfUnlistedSagas };
}

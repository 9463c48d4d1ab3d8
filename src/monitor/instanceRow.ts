import { InstanceStatusPayload } from './durableStatusApi';
import { sagaSummary, SagaSummary } from './sagaSummary';
import { finishedRuntimeStatuses } from './timeline';
import { epochMs, formatDuration, isoTime } from './timestamps';

// One line of the instance list, ready to show: the page only turns these fields into text.

export interface InstanceRow {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: string;
  readonly sagaPhase: SagaSummary['phase'];
  readonly sagaStatus: string;
  readonly needsAttention: boolean;
  readonly createdTime?: string;
  readonly lastUpdatedTime?: string;
  readonly durationMs?: number;
  readonly durationText: string;
  /** Pending or Running: the page keeps refreshing while any row is active. */
  readonly active: boolean;
}

/** Statuses in which the instance is doing, or about to do, work by itself (Suspended waits for a person). */
const activeStatuses = new Set(['Pending', 'Running']);

export function toInstanceRow(status: InstanceStatusPayload, now: Date): InstanceRow {
  const summary = sagaSummary(status);
  const durationMs = instanceDurationMs(status, summary, now);
  const createdTime = isoTime(status.createdTime);
  const lastUpdatedTime = isoTime(status.lastUpdatedTime);
  return {
    instanceId: status.instanceId,
    name: status.name,
    runtimeStatus: status.runtimeStatus,
    sagaPhase: summary.phase,
    sagaStatus: summary.text,
    needsAttention: summary.needsAttention,
    ...(createdTime !== undefined ? { createdTime } : {}),
    ...(lastUpdatedTime !== undefined ? { lastUpdatedTime } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    durationText: durationMs === undefined ? '–' : formatDuration(durationMs),
    active: activeStatuses.has(status.runtimeStatus),
  };
}

/**
 * How long the instance has run: until its last update once finished, until now otherwise. The
 * Durable API's times have whole seconds only, so a finished saga's own clock (startedAt →
 * updatedAt in the custom status, milliseconds) is used when the saga reached its final phase.
 */
export function instanceDurationMs(status: InstanceStatusPayload, summary: SagaSummary, now: Date): number | undefined {
  const finished = finishedRuntimeStatuses.has(status.runtimeStatus);
  const state = summary.state;
  if (
    status.runtimeStatus === 'Completed' &&
    state !== undefined &&
    ['completed', 'rejected', 'failed'].includes(state.phase)
  ) {
    const start = epochMs(state.startedAt);
    const end = epochMs(state.updatedAt);
    if (start !== undefined && end !== undefined && end >= start) return end - start;
  }
  const created = epochMs(status.createdTime);
  const end = finished ? epochMs(status.lastUpdatedTime) : now.getTime();
  if (created === undefined || end === undefined) return undefined;
  return Math.max(end - created, 0);
}

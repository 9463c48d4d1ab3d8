import { InstanceStatusPayload } from './durableStatusApi';
import { ActionAvailability, availableActions } from './instanceActions';
import { InstanceRow, toInstanceRow } from './instanceRow';
import { sagaSummary } from './sagaSummary';
import { buildTimeline, StepInstanceSource, Timeline } from './timeline';
import { stepActivityOf } from './timelineHistory';

// One instance as the detail panel shows it: the list row's fields, the timeline, which actions
// apply, and the raw material (input, output, custom status, history events) as the Durable API
// sent it. The order carries no card data by design (orderInput refuses unknown fields), so the
// input is shown whole; the page renders all of it as text.

export interface InstanceDetail extends InstanceRow {
  readonly timeline: Timeline;
  readonly actions: ActionAvailability;
  readonly input: unknown;
  readonly output: unknown;
  readonly customStatus: unknown;
  readonly historyEvents: readonly Record<string, unknown>[];
  /** The saga's step sub-orchestrations, so a person can open a stuck one. */
  readonly stepInstances: readonly StepInstance[];
}

export interface StepInstance {
  readonly instanceId: string;
  readonly runtimeStatus: string;
  readonly activity?: string;
}

/** `steps` are the instance's step sub-orchestrations, read with their histories. */
export function toInstanceDetail(
  status: InstanceStatusPayload,
  now: Date,
  steps: readonly InstanceStatusPayload[] = [],
): InstanceDetail {
  const summary = sagaSummary(status);
  const stepInstances = new Map<string, StepInstanceSource>();
  for (const step of steps) {
    const activity = stepActivityOf(step.input);
    if (activity === undefined) continue;
    stepInstances.set(activity, {
      instanceId: step.instanceId,
      runtimeStatus: step.runtimeStatus,
      historyEvents: step.historyEvents ?? [],
    });
  }
  return {
    ...toInstanceRow(status, now),
    timeline: buildTimeline({
      ...(status.historyEvents !== undefined ? { historyEvents: status.historyEvents } : {}),
      stepInstances,
      ...(summary.state !== undefined ? { saga: summary.state } : {}),
      runtimeStatus: status.runtimeStatus,
      createdTime: status.createdTime,
      lastUpdatedTime: status.lastUpdatedTime,
      now,
    }),
    actions: availableActions(status.runtimeStatus),
    input: status.input ?? null,
    output: status.output ?? null,
    customStatus: status.customStatus ?? null,
    historyEvents: status.historyEvents ?? [],
    stepInstances: [...steps]
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))
      .map((step) => {
        const activity = stepActivityOf(step.input);
        return {
          instanceId: step.instanceId,
          runtimeStatus: step.runtimeStatus,
          ...(activity !== undefined ? { activity } : {}),
        };
      }),
  };
}

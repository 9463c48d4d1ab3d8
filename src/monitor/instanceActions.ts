// Which management action makes sense in which runtime status. The Durable HTTP API quietly
// accepts some that do nothing (terminating a finished instance answers 410, which the SDK treats
// as success), so the monitor checks first and says why it refuses; the page greys the buttons
// out with the same rules.

export const instanceActions = ['terminate', 'suspend', 'resume', 'restart', 'purge', 'raiseEvent'] as const;
export type InstanceAction = (typeof instanceActions)[number];

const activeStatuses = ['Pending', 'Running', 'Suspended'];
const finishedStatuses = ['Completed', 'Failed', 'Terminated', 'Canceled'];

const allowedIn: Record<InstanceAction, readonly string[]> = {
  terminate: activeStatuses,
  suspend: ['Running'],
  resume: ['Suspended'],
  // A restart starts a new instance with the same input; the original stays as it is.
  restart: [...activeStatuses, ...finishedStatuses, 'ContinuedAsNew'],
  // Purging a running saga would forget stock and money it still holds.
  purge: finishedStatuses,
  raiseEvent: activeStatuses,
};

export type ActionAvailability = Record<InstanceAction, boolean>;

export function availableActions(runtimeStatus: string): ActionAvailability {
  return Object.fromEntries(
    instanceActions.map((action) => [action, allowedIn[action].includes(runtimeStatus)]),
  ) as ActionAvailability;
}

const actionNouns: Record<InstanceAction, string> = {
  terminate: 'terminating',
  suspend: 'suspending',
  resume: 'resuming',
  restart: 'restarting',
  purge: 'purging',
  raiseEvent: 'raising an event',
};

/** Why the action cannot be done in this status, or undefined when it can. */
export function actionRefusal(action: InstanceAction, runtimeStatus: string): string | undefined {
  if (allowedIn[action].includes(runtimeStatus)) return undefined;
  return `the instance is ${runtimeStatus}; ${actionNouns[action]} needs it to be ${allowedIn[action].join(' or ')}`;
}

export function isInstanceAction(value: string): value is InstanceAction {
  return (instanceActions as readonly string[]).includes(value);
}

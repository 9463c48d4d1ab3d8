import { describe, expect, it } from 'vitest';
import {
  releaseAtCompletion,
  replayActions,
  ReplayFailure,
  type ReplayOptions,
} from '../../../../host/durable/engine/actionReplay';
import { ActionType, type OrchestratorAction } from '../../../../host/durable/engine/orchestratorAnswer';
import { EventType, historyEvents, type HistoryEvent } from '../../../../host/durable/history/historyEvent';

// The host's mirror of the extension's replay must number tasks exactly as DTFx does, because the
// SDK keeps a parallel counter. These specifications replay action lists the SDK emits against
// histories, episode by episode, the way the engine does.

const DAY = 24 * 3600 * 1000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

const options: ReplayOptions = {
  executionId: 'exec1',
  maxShortTimerMs: 6 * DAY,
  longTimerIntervalMs: 3 * DAY,
  checkFunction: (name) => {
    if (name === 'missing') throw new ReplayFailure(`The function '${name}' doesn't exist`);
  },
};

const started = (time = t0): HistoryEvent[] => [
  historyEvents.orchestratorStarted(time),
  historyEvents.executionStarted(time, {
    instanceId: 'i',
    executionId: 'exec1',
    name: 'o',
    version: '',
    input: null,
    parent: null,
    generation: 0,
  }),
];

/** Plays one episode: replays, then records what it scheduled, like a committed episode. */
function episode(history: HistoryEvent[], actions: OrchestratorAction[], ...messages: HistoryEvent[]) {
  const result = replayActions([...history, ...messages], actions, options);
  history.push(...messages, ...result.newEvents, historyEvents.orchestratorCompleted(t0));
  return result;
}

const activity = (name: string): OrchestratorAction => ({ actionType: ActionType.CallActivity, functionName: name });

describe('retries (CallActivityWithRetry)', () => {
  it('allocates attempt, retry timer, attempt, and a zero-delay timer after the last failure', () => {
    const retry: OrchestratorAction = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'A',
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
    };
    const history = started();
    expect(episode(history, [retry]).newEvents.map((e) => [e.EventType, e.EventId])).toEqual([
      [EventType.TaskScheduled, 0],
    ]);

    const second = episode(
      history,
      [retry],
      historyEvents.orchestratorStarted(at(10)),
      historyEvents.taskFailed(at(10), 0, 'r', 'd'),
    );
    expect(second.newEvents.map((e) => [e.EventType, e.EventId, e.FireAt])).toEqual([
      [EventType.TimerCreated, 1, '2026-01-01T00:00:01.0100000Z'],
    ]);

    const third = episode(
      history,
      [retry],
      historyEvents.orchestratorStarted(at(1010)),
      historyEvents.timerFired(at(1010), 1, ''),
    );
    expect(third.newEvents.map((e) => [e.EventType, e.EventId])).toEqual([[EventType.TaskScheduled, 2]]);

    const fourth = episode(
      history,
      [retry],
      historyEvents.orchestratorStarted(at(1020)),
      historyEvents.taskFailed(at(1020), 2, 'r', 'd'),
    );
    expect(fourth.newEvents.map((e) => [e.EventType, e.EventId, e.FireAt])).toEqual([
      [EventType.TimerCreated, 3, '2026-01-01T00:00:01.0200000Z'],
    ]);

    const last = episode(
      history,
      [retry],
      historyEvents.orchestratorStarted(at(1030)),
      historyEvents.timerFired(at(1030), 3, ''),
    );
    expect(last.newEvents).toEqual([]);
    expect(last.driverDone).toBe(true);
    expect(last.hasOpenTasks).toBe(false);
  });

  it('backs off by the coefficient, capped by the maximum interval', () => {
    const retry: OrchestratorAction = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'A',
      retryOptions: {
        firstRetryIntervalInMilliseconds: 1000,
        maxNumberOfAttempts: 5,
        backoffCoefficient: 3,
        maxRetryIntervalInMilliseconds: 5000,
      },
    };
    const history = started();
    episode(history, [retry]);
    let now = 0;
    const delays: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      now += 10;
      const failed = episode(
        history,
        [retry],
        historyEvents.orchestratorStarted(at(now)),
        historyEvents.taskFailed(
          at(now),
          history.filter((e) => e.EventType === EventType.TaskScheduled).at(-1)!.EventId,
          'r',
          'd',
        ),
      );
      const timer = failed.newEvents[0];
      delays.push(new Date(timer.FireAt!).getTime() - at(now).getTime());
      now = new Date(timer.FireAt!).getTime() - t0.getTime();
      episode(
        history,
        [retry],
        historyEvents.orchestratorStarted(at(now)),
        historyEvents.timerFired(at(now), timer.EventId, ''),
      );
    }
    expect(delays).toEqual([1000, 3000, 5000]);
  });
});

describe('long timers', () => {
  it('split into slices of three days until the fire time, each with its own id', () => {
    const timer: OrchestratorAction = {
      actionType: ActionType.CreateTimer,
      fireAt: at(10 * DAY).toISOString(),
      isCanceled: false,
    };
    const history = started();
    const fires: string[] = [];
    let result = episode(history, [timer]);
    for (let i = 0; i < 5 && result.newEvents.length > 0; i++) {
      const slice = result.newEvents[0];
      fires.push(`${slice.EventId}@${(new Date(slice.FireAt!).getTime() - t0.getTime()) / DAY}d`);
      const fireAt = new Date(slice.FireAt!);
      result = episode(
        history,
        [timer],
        historyEvents.orchestratorStarted(fireAt),
        historyEvents.timerFired(fireAt, slice.EventId, slice.FireAt!),
      );
    }
    expect(fires).toEqual(['0@3d', '1@6d', '2@10d']);
    expect(result.driverDone).toBe(true);
  });
});

describe('compound tasks and ordering', () => {
  it('schedules the actions after Task.all only when every member has finished, even after a failure', () => {
    const all: OrchestratorAction = { actionType: ActionType.WhenAll, compoundActions: [activity('A'), activity('B')] };
    const history = started();
    expect(episode(history, [all]).newEvents.map((e) => e.EventId)).toEqual([0, 1]);
    // The SDK fails fast and already asks for C; the C# loop still waits for B.
    const afterFailure = episode(
      history,
      [all, activity('C')],
      historyEvents.orchestratorStarted(at(5)),
      historyEvents.taskFailed(at(5), 0, 'r', 'd'),
    );
    expect(afterFailure.newEvents).toEqual([]);
    const afterB = episode(
      history,
      [all, activity('C')],
      historyEvents.orchestratorStarted(at(9)),
      historyEvents.taskCompleted(at(9), 1, '1'),
    );
    expect(afterB.newEvents.map((e) => [e.Name, e.EventId])).toEqual([['C', 2]]);
  });

  it('records a canceled timer but does not arm it, and it does not hold up completion', () => {
    const timer: OrchestratorAction = {
      actionType: ActionType.CreateTimer,
      fireAt: at(60_000).toISOString(),
      isCanceled: true,
    };
    const event: OrchestratorAction = { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Go' };
    const history = started();
    const result = episode(history, [{ actionType: ActionType.WhenAny, compoundActions: [event, timer] }]);
    expect(result.newEvents.map((e) => e.EventType)).toEqual([EventType.TimerCreated]);
    expect(result.newWork).toEqual([]);
    expect(result.hasOpenTasks).toBe(false);
  });

  it('hands events to the newest waiter and buffers early ones in order', () => {
    const wait: OrchestratorAction = { actionType: ActionType.WaitForExternalEvent, externalEventName: 'E' };
    const history = started();
    const early = replayActions([...history, historyEvents.eventRaised(t0, 'E', '1')], [activity('A'), wait], options);
    expect(early.driverDone).toBe(false);
    const late = replayActions(
      [
        ...history,
        historyEvents.taskScheduled(t0, 0, 'A', null),
        historyEvents.eventRaised(t0, 'E', '1'),
        historyEvents.taskCompleted(t0, 0, null),
      ],
      [activity('A'), wait],
      options,
    );
    expect(late.driverDone).toBe(true);
  });
});

describe('a step raced against a deadline timer per attempt (the shape of saga v3)', () => {
  const deadline = at(300_000).toISOString();
  const timer = (fireAt: string, isCanceled = false): OrchestratorAction => ({
    actionType: ActionType.CreateTimer,
    fireAt,
    ...(isCanceled ? { isCanceled } : {}),
  });
  const race = (name: string, timerCanceled = false): OrchestratorAction => ({
    actionType: ActionType.WhenAny,
    compoundActions: [activity(name), timer(deadline, timerCanceled)],
  });
  const ids = (result: { newEvents: HistoryEvent[] }) =>
    result.newEvents.map((e) => [e.EventType === EventType.TimerCreated ? 'timer' : e.Name, e.EventId]);

  it('numbers the cancelled timer of a won race like any task, and the next race after it', () => {
    const history = started();
    expect(ids(episode(history, [race('A')]))).toEqual([
      ['A', 0],
      ['timer', 1],
    ]);

    const next = episode(
      history,
      [race('A', true), race('B')],
      historyEvents.orchestratorStarted(at(10)),
      historyEvents.taskCompleted(at(10), 0, '"ok"'),
    );

    expect(ids(next)).toEqual([
      ['B', 2],
      ['timer', 3],
    ]);
    // Only B's timer is armed; the cancelled one is history, not work.
    expect(next.newWork.map((w) => [w.kind, w.id])).toEqual([
      ['activity', 2],
      ['timer', 3],
    ]);
  });

  it('numbers the manual retry loop: a failed attempt, the backoff timer outside the race, a new attempt with a fresh timer', () => {
    const history = started();
    episode(history, [race('A')]);
    const backoff = at(1_010).toISOString();

    const waiting = episode(
      history,
      [race('A', true), timer(backoff)],
      historyEvents.orchestratorStarted(at(10)),
      historyEvents.taskFailed(at(10), 0, 'transient', 'details'),
    );
    expect(ids(waiting)).toEqual([['timer', 2]]);

    const retrying = episode(
      history,
      [race('A', true), timer(backoff), race('A')],
      historyEvents.orchestratorStarted(at(1_010)),
      historyEvents.timerFired(at(1_010), 2, backoff),
    );
    expect(ids(retrying)).toEqual([
      ['A', 3],
      ['timer', 4],
    ]);

    const done = episode(
      history,
      [race('A', true), timer(backoff), race('A', true)],
      historyEvents.orchestratorStarted(at(1_020)),
      historyEvents.taskCompleted(at(1_020), 3, '"ok"'),
    );
    expect(done.failure).toBeUndefined();
    expect(done.driverDone).toBe(true);
    expect(done.hasOpenTasks).toBe(false);
    expect(done.nextId).toBe(5);
  });

  it('ignores the late firing of cancelled timers: nothing new is scheduled and the numbering goes on', () => {
    const history = started();
    episode(history, [race('A')]);
    episode(
      history,
      [race('A', true), race('B')],
      historyEvents.orchestratorStarted(at(10)),
      historyEvents.taskCompleted(at(10), 0, '"ok"'),
    );
    const compensate: OrchestratorAction = { actionType: ActionType.WhenAll, compoundActions: [activity('undoA')] };
    // B refused: the saga compensates A.
    episode(
      history,
      [race('A', true), race('B', true), compensate],
      historyEvents.orchestratorStarted(at(20)),
      historyEvents.taskCompleted(at(20), 2, '"refused"'),
    );

    // Both deadline timers fire while the compensation runs; the SDK ignores them too.
    const late = episode(
      history,
      [race('A', true), race('B', true), compensate],
      historyEvents.orchestratorStarted(at(300_000)),
      historyEvents.timerFired(at(300_000), 1, deadline),
      historyEvents.timerFired(at(300_000), 3, deadline),
    );

    expect(late.newEvents).toEqual([]);
    expect(late.failure).toBeUndefined();
    expect(late.hasOpenTasks).toBe(true);
    expect(late.nextId).toBe(5);
  });

  it('does not reproduce the SDK when a callActivityWithRetry sits in a race whose timer is cancelled (why the saga never does that)', () => {
    const retried: OrchestratorAction = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'A',
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
    };
    const raceWithRetry = (timerCanceled: boolean): OrchestratorAction => ({
      actionType: ActionType.WhenAny,
      compoundActions: [retried, timer(deadline, timerCanceled)],
    });
    const history = started();
    episode(history, [raceWithRetry(false)]);
    // The first attempt failed; the retry timer (2) fired; the second attempt (3) succeeded. The
    // SDK numbered them so and now races B with ids 4 and 5.
    history.push(
      historyEvents.orchestratorStarted(at(10)),
      historyEvents.taskFailed(at(10), 0, 'r', 'd'),
      historyEvents.timerCreated(at(10), 2, at(1_010)),
      historyEvents.orchestratorCompleted(at(10)),
      historyEvents.orchestratorStarted(at(1_010)),
      historyEvents.timerFired(at(1_010), 2, ''),
      historyEvents.taskScheduled(at(1_010), 3, 'A', null),
      historyEvents.orchestratorCompleted(at(1_010)),
    );

    const result = replayActions(
      [...history, historyEvents.orchestratorStarted(at(1_020)), historyEvents.taskCompleted(at(1_020), 3, '"ok"')],
      [raceWithRetry(true), race('B')],
      options,
    );

    // Replayed by the extension, the cancelled timer ends the race at once, so B takes ids 2 and 3
    // before the retry's timer and attempt are allocated: a nondeterminism failure on Azure.
    expect(result.mismatch).toMatchObject({
      sequenceId: 2,
      expected: { kind: 'timer' },
      actual: { kind: 'activity', name: 'B' },
    });
  });
});

describe('callHttp', () => {
  it('polls a 202 + Location answer with a timer (Retry-After) and a GET, each with its own id', () => {
    const call: OrchestratorAction = {
      actionType: ActionType.CallHttp,
      httpRequest: { method: 'POST', uri: 'http://x/job', content: '{}', asynchronousPatternEnabled: true },
    };
    const history = started();
    const first = episode(history, [call]);
    expect(first.newEvents.map((e) => [e.EventId, e.Name])).toEqual([[0, 'BuiltIn::HttpActivity']]);
    const accepted = JSON.stringify({
      statusCode: 202,
      headers: { Location: 'http://x/job/1', 'Retry-After': '5' },
      content: '',
    });
    const polling = episode(
      history,
      [call],
      historyEvents.orchestratorStarted(at(100)),
      historyEvents.taskCompleted(at(100), 0, accepted),
    );
    expect(polling.newEvents.map((e) => [e.EventId, e.FireAt])).toEqual([[1, '2026-01-01T00:00:05.1000000Z']]);
    const get = episode(
      history,
      [call],
      historyEvents.orchestratorStarted(at(5100)),
      historyEvents.timerFired(at(5100), 1, ''),
    );
    expect(
      get.newEvents.map((e) => {
        const request = JSON.parse(e.Input ?? '{}') as { uri?: string; method?: string };
        return [e.EventId, request.uri, request.method];
      }),
    ).toEqual([[2, 'http://x/job/1', 'GET']]);
    const done = episode(
      history,
      [call],
      historyEvents.orchestratorStarted(at(5200)),
      historyEvents.taskCompleted(at(5200), 2, JSON.stringify({ statusCode: 200, headers: {}, content: 'ok' })),
    );
    expect(done.driverDone).toBe(true);
  });
});

describe('critical sections (LockEntities and ReleaseEntities, schema V4)', () => {
  const lockOptions: ReplayOptions = { ...options, instanceId: 'i' };
  const lockAction: OrchestratorAction = {
    actionType: ActionType.LockEntities,
    // Unsorted on purpose: the locks are taken in scheduler-id order whatever the caller sent.
    lockSet: [
      { name: 'account', key: 'b' },
      { name: 'Account', key: 'a' },
      { name: 'account', key: 'b' },
    ],
    lockRequestId: 'sdk-guid',
  };
  const call = (key: string): OrchestratorAction => ({
    actionType: ActionType.CallEntity,
    instanceId: `@account@${key}`,
    operation: 'get',
  });
  const release: OrchestratorAction = { actionType: ActionType.ReleaseEntities };
  const play = (history: HistoryEvent[], actions: OrchestratorAction[], ...messages: HistoryEvent[]) => {
    const result = replayActions([...history, ...messages], actions, lockOptions);
    history.push(...messages, ...result.newEvents, historyEvents.orchestratorCompleted(t0));
    return result;
  };
  const requestOf = (e: HistoryEvent): unknown => JSON.parse(e.Input ?? 'null');

  it('sends one lock request to the first entity of the sorted set and holds the locks once it is answered', () => {
    const history = started();
    const first = play(history, [lockAction]);
    expect(first.newEvents.map((e) => [e.EventType, e.EventId, e.InstanceId, e.Name])).toEqual([
      [EventType.EventSent, 0, '@account@a', 'op'],
    ]);
    const request = requestOf(first.newEvents[0]) as { id: string; lockset: unknown };
    expect(request).toEqual({
      id: request.id,
      parent: 'i',
      parentExecution: 'exec1',
      lockset: [
        { name: 'account', key: 'a' },
        { name: 'account', key: 'b' },
      ],
      pos: 0,
    });
    expect(first.newWork).toMatchObject([{ kind: 'entityMessage', eventName: 'op', targetInstanceId: '@account@a' }]);
    expect(first.driverDone).toBe(false);
    expect(first.heldLocks).toBeUndefined();

    const granted = play(
      history,
      [lockAction, call('a')],
      historyEvents.orchestratorStarted(at(5)),
      historyEvents.eventRaised(at(5), request.id, JSON.stringify({ result: 'Lock Acquisition Completed' })),
    );
    expect(granted.newEvents.map((e) => [e.EventId, e.InstanceId, e.Name])).toEqual([[1, '@account@a', 'get']]);
    expect(granted.heldLocks).toEqual({ requestId: request.id, lockset: request.lockset });
  });

  it('releases each held lock with its own sequence number, as the SDK counts them, then goes on', () => {
    const history = started();
    const request = requestOf(play(history, [lockAction]).newEvents[0]) as { id: string };
    const afterRelease = play(
      history,
      [lockAction, release, call('c')],
      historyEvents.orchestratorStarted(at(5)),
      historyEvents.eventRaised(at(5), request.id, '{}'),
    );
    expect(afterRelease.newEvents.map((e) => [e.EventId, e.InstanceId, e.Name, requestOf(e)])).toEqual([
      [1, '@account@a', 'release', { parent: 'i', id: request.id }],
      [2, '@account@b', 'release', { parent: 'i', id: request.id }],
      [3, '@account@c', 'get', expect.objectContaining({ op: 'get' })],
    ]);
    expect(afterRelease.newWork.slice(0, 2).map((w) => w.kind === 'entityMessage' && w.eventName)).toEqual([
      'release',
      'release',
    ]);
    expect(afterRelease.heldLocks).toBeUndefined();
  });

  it('leaves the locks still held at the end to the completion, which releases them before its own id', () => {
    const history = started();
    const request = requestOf(play(history, [lockAction]).newEvents[0]) as { id: string };
    const done = play(
      history,
      [lockAction],
      historyEvents.orchestratorStarted(at(5)),
      historyEvents.eventRaised(at(5), request.id, '{}'),
    );
    expect(done.driverDone).toBe(true);
    const released = releaseAtCompletion(done, 'i', at(5));
    expect(released.events.map((e) => [e.EventId, e.InstanceId, e.Name])).toEqual([
      [1, '@account@a', 'release'],
      [2, '@account@b', 'release'],
    ]);
    expect(released.nextId).toBe(3);
    expect(releaseAtCompletion({ ...done, heldLocks: undefined }, 'i', at(5))).toEqual({
      events: [],
      work: [],
      nextId: 1,
    });
  });

  it('fails like the extension when a locked entity does not exist', () => {
    const result = replayActions(
      started(),
      [{ actionType: ActionType.LockEntities, lockSet: [{ name: 'missing', key: 'k' }] }],
      lockOptions,
    );
    expect(result.failure).toMatch(/The function 'missing' doesn't exist/);
  });

  it('detects code that no longer takes the lock history recorded', () => {
    const history = started();
    play(history, [lockAction]);
    const result = replayActions(history, [call('a')], lockOptions);
    expect(result.mismatch).toMatchObject({
      sequenceId: 0,
      expected: { kind: 'entityMessage', name: 'op' },
      actual: { kind: 'entityMessage', name: 'get' },
    });
  });
});

describe('replay checks', () => {
  it('fails when the code schedules a different activity than history recorded', () => {
    const history = [
      ...started(),
      historyEvents.taskScheduled(t0, 0, 'A', null),
      historyEvents.orchestratorCompleted(t0),
    ];
    const result = replayActions(history, [activity('B')], options);
    expect(result.failure).toMatch(/Non-Deterministic workflow detected: .*sequence ID 0 and name 'A'.*named 'B'/);
    expect(result.mismatch).toEqual({
      position: 2,
      sequenceId: 0,
      expected: { kind: 'activity', name: 'A' },
      actual: { kind: 'activity', name: 'B' },
    });
  });

  it('fails when an activity does not exist', () => {
    const result = replayActions(started(), [activity('missing')], options);
    expect(result.failure).toMatch(/The function 'missing' doesn't exist/);
  });

  it('fails clearly on actions the SDK never sends', () => {
    const result = replayActions(started(), [{ actionType: ActionType.ScheduledSignalEntity }], options);
    expect(result.failure).toMatch(/^signalEntity with a time is not supported by this host/);
  });
});

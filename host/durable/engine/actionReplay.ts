import { derivedGuid } from './derivedGuid';
import { EventType, historyEvents, type HistoryEvent } from '../history/historyEvent';
import {
  RELEASE_EVENT,
  REQUEST_EVENT,
  schedulerId,
  type EntityIdWire,
  type ReleaseMessage,
  type RequestMessage,
} from './entityMessages';
import {
  ActionType,
  type DurableHttpRequestWire,
  type OrchestratorAction,
  type RetryOptionsWire,
} from './orchestratorAnswer';

/** The extension runs callHttp as this built-in activity; its input is the request. */
export const HTTP_ACTIVITY = 'BuiltIn::HttpActivity';

/**
 * The host's half of replay. The real extension never reads the SDK's answer directly: it replays
 * the returned action list through a DTFx context, awaiting each action the way C# would, and DTFx
 * numbers every scheduling call. The SDK keeps a parallel counter, so the two agree only if this
 * mirror numbers tasks, retries and long-timer slices exactly as DTFx does (see the spec §3.3).
 */

export interface ReplayOptions {
  executionId: string;
  /** The version a sub-orchestration gets when the action names none (host.json defaultVersion). */
  defaultVersion?: string;
  /** Above this, a timer is split into slices (Azure Storage: 6 days). */
  maxShortTimerMs: number;
  /** The length of each slice of a long timer (3 days). */
  longTimerIntervalMs: number;
  /** Throws the extension's "doesn't exist" error for unknown activities/orchestrators. */
  checkFunction(name: string, kind: 'activity' | 'orchestrator' | 'entity'): void;
  /** The orchestration's own id: entity calls name it as the parent to answer. */
  instanceId?: string;
}

export type NewWork =
  | { kind: 'activity'; id: number; name: string; input: string | null }
  | { kind: 'timer'; id: number; fireAt: Date }
  | { kind: 'subOrchestration'; id: number; name: string; instanceId: string; input: string | null; version: string }
  | {
      kind: 'entityMessage';
      id: number;
      targetInstanceId: string;
      /** What history records as the EventSent name: the operation, "op" for a lock request, "release". */
      operation: string;
      /** The event the entity receives it as. */
      eventName: typeof REQUEST_EVENT | typeof RELEASE_EVENT;
      requestId: string;
      /** The message JSON (a RequestMessage, or a ReleaseMessage). */
      request: string;
    };

/**
 * The critical section the extension's context holds (EXT `DurableOrchestrationContext`
 * `ContextLocks` and `LockRequestId`): set when the lock response arrives, cleared by a release.
 */
export interface HeldLocks {
  requestId: string;
  lockset: EntityIdWire[];
}

export interface ReplayResult {
  /** Scheduling events for work the history has not recorded yet, in id order. */
  newEvents: HistoryEvent[];
  newWork: NewWork[];
  /** The C# replay loop has awaited every action. */
  driverDone: boolean;
  /** Activities, sub-orchestrations and live timers still waiting for an answer. */
  hasOpenTasks: boolean;
  continueAsNew?: { input: string | null };
  /** Set when the instance must fail (nondeterminism, validation). */
  failure?: string;
  /** For nondeterminism: the first scheduling event the current code does not reproduce. */
  mismatch?: ReplayMismatch;
  /** The next sequence number: the id of ExecutionCompleted / ContinueAsNew. */
  nextId: number;
  /** Locks the orchestration still holds once the replay loop is done. */
  heldLocks?: HeldLocks;
}

export interface ScheduledTask {
  kind: 'activity' | 'timer' | 'subOrchestration' | 'entityMessage';
  name?: string;
}

export interface ReplayMismatch {
  /** Index of the scheduling event in the history given to `replayActions`. */
  position: number;
  sequenceId: number;
  /** What history recorded. */
  expected: ScheduledTask;
  /** What the current code scheduled with that sequence id, if anything. */
  actual: ScheduledTask | undefined;
}

/** Thrown by action building when the orchestration must fail; carries the message the status shows. */
export class ReplayFailure extends Error {}

interface Parent {
  childSettled(child: Node): void;
}

abstract class Node {
  done = false;
  failed = false;
  parent: Parent | undefined;

  protected settle(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    this.failed = failed;
    this.parent?.childSettled(this);
  }
}

type LeafKind = 'task' | 'timer' | 'sub' | 'sent';

class Leaf extends Node {
  canceled = false;
  /** The completion's Result (JSON text), for nodes that decide on it (callHttp polling). */
  result: string | null | undefined;
  constructor(
    readonly id: number,
    readonly kind: LeafKind,
    readonly work: NewWork,
  ) {
    super();
  }
  answer(failed: boolean, result?: string | null): void {
    this.result = result;
    this.settle(failed);
  }
  cancel(): void {
    this.canceled = true;
    this.done = true;
  }
  /** Sent and done at once: nothing answers a signal. */
  fireAndForget(): void {
    this.done = true;
  }
}

class Done extends Node {
  constructor() {
    super();
    this.done = true;
  }
}

class EventWait extends Node {
  receive(): void {
    this.settle(false);
  }
}

class Compound extends Node implements Parent {
  constructor(
    private readonly all: boolean,
    private readonly children: Node[],
  ) {
    super();
    for (const child of children) child.parent = this;
    this.evaluate();
  }
  childSettled(): void {
    this.evaluate();
  }
  private evaluate(): void {
    // C# Task.WhenAll waits for every member even after one failed; WhenAny for the first.
    if (this.all ? this.children.every((c) => c.done) : this.children.some((c) => c.done)) {
      this.settle(this.all && this.children.some((c) => c.failed));
    }
  }
}

const SIX_DAYS_MS = 6 * 24 * 3600 * 1000;

/** DTFx RetryInterceptor: attempt, then a timer (a zero-delay one after the last attempt), then retry or fail. */
function retryOptionsOf(action: OrchestratorAction): RetryOptionsWire {
  if (!action.retryOptions) throw new ReplayFailure('A retrying call without retry options.');
  return action.retryOptions;
}

class RetryNode extends Node implements Parent {
  private attempts = 0;
  private readonly firstAttempt: number;
  private waitingOn: Leaf;
  private finalTimer = false;

  constructor(
    private readonly mirror: Mirror,
    private readonly options: RetryOptionsWire,
    private readonly attempt: () => Leaf,
  ) {
    super();
    const first = options.firstRetryIntervalInMilliseconds;
    if (!(first > 0)) throw new ReplayFailure('firstRetryIntervalInMilliseconds value must be greater than 0.');
    if (first > SIX_DAYS_MS || (options.maxRetryIntervalInMilliseconds ?? 0) > SIX_DAYS_MS) {
      throw new ReplayFailure('Retry intervals above 6 days are not supported by the Azure Storage provider.');
    }
    this.firstAttempt = mirror.now.getTime();
    this.waitingOn = this.start(attempt());
  }

  private start(leaf: Leaf): Leaf {
    leaf.parent = this;
    return leaf;
  }

  childSettled(child: Node): void {
    if (child !== this.waitingOn) return;
    if (child instanceof Leaf && child.kind === 'timer') {
      if (this.finalTimer) this.settle(true);
      else this.waitingOn = this.start(this.attempt());
      return;
    }
    if (!child.failed) {
      this.settle(false);
      return;
    }
    this.attempts++;
    const now = this.mirror.now.getTime();
    if (this.attempts >= Math.max(1, this.options.maxNumberOfAttempts)) {
      this.finalTimer = true;
      this.waitingOn = this.start(this.mirror.newTimer(new Date(now)));
      return;
    }
    const timeout = this.options.retryTimeoutInMilliseconds;
    if (timeout !== undefined && timeout > 0 && now >= this.firstAttempt + timeout) {
      // DTFx would stop without a timer and the SDK would wait for it forever (durable-js #629):
      // failing loudly is the only behaviour an app cannot come to depend on by accident.
      throw new ReplayFailure(
        'retryTimeoutInMilliseconds expired. The durable-functions SDK cannot observe a retry timeout (on Azure the instance would hang, durable-js issue #629); use maxNumberOfAttempts instead.',
      );
    }
    const coefficient = this.options.backoffCoefficient ?? 1;
    const maxInterval = this.options.maxRetryIntervalInMilliseconds ?? SIX_DAYS_MS;
    const delay = Math.min(
      this.options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, this.attempts - 1),
      maxInterval,
    );
    this.waitingOn = this.start(this.mirror.newTimer(new Date(now + delay)));
  }
}

/** The extension's long timer: slices of at most the long interval until the final fire time. */
class LongTimer extends Node implements Parent {
  private slice: Leaf;
  constructor(
    private readonly mirror: Mirror,
    private readonly fireAt: Date,
    canceled: boolean,
  ) {
    super();
    this.slice = this.nextSlice();
    if (canceled) {
      this.slice.cancel();
      this.done = true;
    }
  }
  private nextSlice(): Leaf {
    const now = this.mirror.now.getTime();
    const remaining = this.fireAt.getTime() - now;
    const at =
      remaining > this.mirror.options.maxShortTimerMs
        ? new Date(now + this.mirror.options.longTimerIntervalMs)
        : this.fireAt;
    const leaf = this.mirror.newTimer(at);
    leaf.parent = this;
    return leaf;
  }
  childSettled(child: Node): void {
    if (child !== this.slice) return;
    if (this.mirror.now.getTime() < this.fireAt.getTime()) this.slice = this.nextSlice();
    else this.settle(false);
  }
}

/**
 * callHttp with the asynchronous pattern, as the extension runs it: the request; while the answer
 * is 202 with a Location, a timer (Retry-After seconds, else the default sleep) and a GET of the
 * Location. The SDK mirrors the same timer and request ids.
 */
class HttpNode extends Node implements Parent {
  private waitingOn: Leaf;
  private readonly polling: boolean;

  constructor(
    private readonly mirror: Mirror,
    private readonly request: DurableHttpRequestWire,
  ) {
    super();
    if (request.tokenSource !== undefined && request.tokenSource !== null) {
      throw new ReplayFailure(
        'callHttp with a managed identity tokenSource is not supported by this host (there is no Azure identity locally).',
      );
    }
    this.polling = request.asynchronousPatternEnabled !== false;
    this.waitingOn = this.attach(mirror.newHttpRequest(request));
  }

  private attach(leaf: Leaf): Leaf {
    leaf.parent = this;
    return leaf;
  }

  childSettled(child: Node): void {
    if (child !== this.waitingOn) return;
    if (child instanceof Leaf && child.kind === 'timer') {
      this.waitingOn = this.attach(
        this.mirror.newHttpRequest({
          ...this.request,
          method: 'GET',
          uri: this.location ?? this.request.uri,
          content: undefined,
        }),
      );
      return;
    }
    if (child.failed || !(child instanceof Leaf)) {
      this.settle(child.failed);
      return;
    }
    const response = parseHttpResponse(child.result);
    const location = headerOf(response?.headers, 'Location');
    if (this.polling && response?.statusCode === 202 && location) {
      this.location = location;
      const retryAfter = Number(headerOf(response.headers, 'Retry-After'));
      const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : DEFAULT_HTTP_SLEEP_MS;
      this.waitingOn = this.attach(this.mirror.newTimer(new Date(this.mirror.now.getTime() + delay)));
      return;
    }
    this.settle(false);
  }

  private location: string | undefined;
}

/** The binding's defaultHttpAsyncRequestSleepTimeMillseconds. */
export const DEFAULT_HTTP_SLEEP_MS = 30_000;

interface HttpResponseWire {
  statusCode?: number;
  headers?: Record<string, string | string[]>;
}

function parseHttpResponse(result: string | null | undefined): HttpResponseWire | undefined {
  if (!result) return undefined;
  try {
    return JSON.parse(result) as HttpResponseWire;
  } catch {
    return undefined;
  }
}

function headerOf(headers: Record<string, string | string[]> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/** The name a scheduling event records: the function, or the entity operation. */
function workName(work: NewWork): string {
  if (work.kind === 'timer') return '';
  return work.kind === 'entityMessage' ? work.operation : work.name;
}

/**
 * The extension makes a new GUID per entity request; the host derives it from the execution and
 * the sequence number instead, so a request re-sent after a crash is recognized as the same one.
 */
export function entityRequestId(executionId: string, sequenceId: number): string {
  return derivedGuid(executionId, sequenceId);
}

function jsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * One release per locked entity, each taking a sequence number (EXT `ReleaseLocks`: a SendEvent
 * per entity of `ContextLocks`; the SDK advances its counter by the lock set's size to match).
 */
function releaseMessages(
  held: HeldLocks,
  firstId: number,
  instanceId: string,
): Extract<NewWork, { kind: 'entityMessage' }>[] {
  const release: ReleaseMessage = { parent: instanceId, id: held.requestId };
  return held.lockset.map((entity, i) => ({
    kind: 'entityMessage',
    id: firstId + i,
    targetInstanceId: schedulerId(entity.name, entity.key),
    operation: RELEASE_EVENT,
    eventName: RELEASE_EVENT,
    requestId: held.requestId,
    request: JSON.stringify(release),
  }));
}

/**
 * What the extension does after the orchestrator function returns (completed, or continued as
 * new): `TaskOrchestrationShim` calls `ReleaseLocks()` "just in case the application code did not
 * do so already". Not on failure: the exception skips it (extension issues #1977, #2743).
 */
export function releaseAtCompletion(
  replay: ReplayResult,
  instanceId: string,
  at: Date,
): { events: HistoryEvent[]; work: NewWork[]; nextId: number } {
  if (!replay.heldLocks) return { events: [], work: [], nextId: replay.nextId };
  const work = releaseMessages(replay.heldLocks, replay.nextId, instanceId);
  return {
    events: work.map((w) => schedulingEvent(w, at)),
    work,
    nextId: replay.nextId + work.length,
  };
}

/**
 * The lock set in the order locks are taken: sorted by scheduler id, without repeats (EXT
 * `LockAsync`: `Array.Sort` then `Distinct`, "to avoid deadlocks"). The SDK sends it sorted
 * already; sorting again keeps the order global whatever sent it.
 */
function sortedLockSet(entities: EntityIdWire[]): EntityIdWire[] {
  const byId = new Map(entities.map((e) => [schedulerId(e.name, e.key), { name: e.name.toLowerCase(), key: e.key }]));
  return [...byId.keys()].sort().map((id) => byId.get(id) as EntityIdWire);
}

class Mirror implements Parent {
  now: Date;
  private seq = 0;
  readonly leaves = new Map<number, Leaf>();
  readonly recorded = new Set<number>();
  private readonly waiters = new Map<string, EventWait[]>();
  private readonly buffered = new Map<string, number>();
  private position = 0;
  driverDone = false;
  continueAsNew: { input: string | null } | undefined;

  constructor(
    readonly options: ReplayOptions,
    private readonly actions: OrchestratorAction[],
    start: Date,
  ) {
    this.now = start;
  }

  get nextId(): number {
    return this.seq;
  }

  newTimer(fireAt: Date): Leaf {
    const id = this.seq++;
    const leaf = new Leaf(id, 'timer', { kind: 'timer', id, fireAt });
    this.leaves.set(id, leaf);
    return leaf;
  }

  /** Entity requests (EventSent): a call waits for the response event named by its request id. */
  private readonly calls = new Map<string, Leaf>();

  private newEntityMessage(action: OrchestratorAction, signal: boolean): Leaf {
    const target = action.instanceId ?? '';
    const operation = action.operation ?? '';
    if (!/^@[^@]+@/.test(target)) throw new ReplayFailure(`'${target}' is not an entity id.`);
    const entityName = target.slice(1, target.indexOf('@', 1));
    this.options.checkFunction(entityName, 'entity');
    const id = this.seq++;
    const requestId = entityRequestId(this.options.executionId, id);
    const message: RequestMessage = { op: operation, id: requestId };
    if (signal) message.signal = true;
    if (action.input !== undefined) message.input = JSON.stringify(action.input);
    if (!signal) {
      message.parent = this.options.instanceId;
      message.parentExecution = this.options.executionId;
    }
    const leaf = new Leaf(id, 'sent', {
      kind: 'entityMessage',
      id,
      targetInstanceId: target,
      operation,
      eventName: REQUEST_EVENT,
      requestId,
      request: JSON.stringify(message),
    });
    this.leaves.set(id, leaf);
    if (signal) leaf.fireAndForget();
    else this.calls.set(requestId, leaf);
    return leaf;
  }

  /** Lock requests sent and not answered yet, by request id. */
  private readonly lockRequests = new Map<string, EntityIdWire[]>();
  heldLocks: HeldLocks | undefined;

  /**
   * EXT `LockAsync`: the lock request goes to the first entity of the sorted lock set, which
   * forwards it along the set; the last one answers with an event named by the request id.
   */
  private newLockRequest(action: OrchestratorAction): Leaf {
    const lockset = sortedLockSet(action.lockSet ?? []);
    if (lockset.length === 0) throw new ReplayFailure('The list of entities to lock must not be null or empty.');
    for (const entity of lockset) this.options.checkFunction(entity.name, 'entity');
    const id = this.seq++;
    const requestId = entityRequestId(this.options.executionId, id);
    const message: RequestMessage = {
      id: requestId,
      parent: this.options.instanceId,
      parentExecution: this.options.executionId,
      lockset,
      pos: 0,
    };
    const leaf = new Leaf(id, 'sent', {
      kind: 'entityMessage',
      id,
      targetInstanceId: schedulerId(lockset[0].name, lockset[0].key),
      operation: REQUEST_EVENT,
      eventName: REQUEST_EVENT,
      requestId,
      request: JSON.stringify(message),
    });
    this.leaves.set(id, leaf);
    this.calls.set(requestId, leaf);
    this.lockRequests.set(requestId, lockset);
    return leaf;
  }

  /** EXT `ReleaseLocks`: a release per held lock, fire-and-forget; nothing when no lock is held (yet). */
  private releaseLocks(): Node {
    if (this.heldLocks) {
      for (const work of releaseMessages(this.heldLocks, this.seq, this.options.instanceId ?? '')) {
        const leaf = new Leaf(work.id, 'sent', work);
        this.leaves.set(work.id, leaf);
        leaf.fireAndForget();
        this.seq++;
      }
      this.heldLocks = undefined;
    }
    return new Done();
  }

  /** A response event for an entity call or a lock request; false when the event is not one. */
  answerCall(name: string, input: string | null | undefined): boolean {
    const leaf = this.calls.get(name);
    if (!leaf) return false;
    this.calls.delete(name);
    const lockset = this.lockRequests.get(name);
    if (lockset) {
      // The context holds the locks before the code after the await runs (a release may follow at once).
      this.lockRequests.delete(name);
      this.heldLocks = { requestId: name, lockset };
    }
    if (!leaf.done) leaf.answer(false, input);
    return true;
  }

  newHttpRequest(request: DurableHttpRequestWire): Leaf {
    const id = this.seq++;
    const leaf = new Leaf(id, 'task', { kind: 'activity', id, name: HTTP_ACTIVITY, input: JSON.stringify(request) });
    this.leaves.set(id, leaf);
    return leaf;
  }

  private newTask(name: string, input: string | null): Leaf {
    this.options.checkFunction(name, 'activity');
    const id = this.seq++;
    const leaf = new Leaf(id, 'task', { kind: 'activity', id, name, input });
    this.leaves.set(id, leaf);
    return leaf;
  }

  private newSubOrchestration(
    name: string,
    instanceId: string | undefined,
    input: string | null,
    version: string,
  ): Leaf {
    this.options.checkFunction(name, 'orchestrator');
    const id = this.seq++;
    const childId = instanceId && instanceId.length > 0 ? instanceId : `${this.options.executionId}:${id}`;
    const leaf = new Leaf(id, 'sub', { kind: 'subOrchestration', id, name, instanceId: childId, input, version });
    this.leaves.set(id, leaf);
    return leaf;
  }

  private build(action: OrchestratorAction): Node {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return this.newTask(action.functionName ?? '', jsonText(action.input));
      case ActionType.CallActivityWithRetry:
        return new RetryNode(this, retryOptionsOf(action), () =>
          this.newTask(action.functionName ?? '', jsonText(action.input)),
        );
      case ActionType.CallSubOrchestrator:
        return this.newSubOrchestration(
          action.functionName ?? '',
          action.instanceId,
          jsonText(action.input),
          action.version || this.options.defaultVersion || '',
        );
      case ActionType.CallSubOrchestratorWithRetry:
        return new RetryNode(this, retryOptionsOf(action), () =>
          this.newSubOrchestration(
            action.functionName ?? '',
            action.instanceId,
            jsonText(action.input),
            action.version || this.options.defaultVersion || '',
          ),
        );
      case ActionType.CreateTimer: {
        const fireAt = new Date(action.fireAt ?? 0);
        if (fireAt.getTime() - this.now.getTime() > this.options.maxShortTimerMs)
          return new LongTimer(this, fireAt, action.isCanceled === true);
        const leaf = this.newTimer(fireAt);
        if (action.isCanceled) leaf.cancel();
        return leaf;
      }
      case ActionType.WaitForExternalEvent:
        return this.waitFor(action.externalEventName ?? '');
      case ActionType.CallEntity:
        return this.newEntityMessage(action, false);
      case ActionType.SignalEntity:
        return this.newEntityMessage(action, true);
      case ActionType.ScheduledSignalEntity:
        throw new ReplayFailure(
          'signalEntity with a time is not supported by this host (the durable-functions SDK never sends it).',
        );
      case ActionType.LockEntities:
        return this.newLockRequest(action);
      case ActionType.ReleaseEntities:
        return this.releaseLocks();
      case ActionType.CallHttp:
        if (!action.httpRequest) throw new ReplayFailure('callHttp without a request.');
        return new HttpNode(this, action.httpRequest);
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: jsonText(action.input) };
        return new Done();
      case ActionType.WhenAll:
      case ActionType.WhenAny:
        return new Compound(
          action.actionType === ActionType.WhenAll,
          (action.compoundActions ?? []).map((a) => this.build(a)),
        );
      default:
        throw new ReplayFailure(`The orchestrator returned an action of unknown type ${String(action.actionType)}.`);
    }
  }

  private waitFor(name: string): EventWait {
    const wait = new EventWait();
    const pending = this.buffered.get(name) ?? 0;
    if (pending > 0) {
      this.buffered.set(name, pending - 1);
      wait.receive();
    } else {
      const list = this.waiters.get(name) ?? [];
      list.push(wait);
      this.waiters.set(name, list);
    }
    return wait;
  }

  /** An event goes to the newest waiter of its name (a stack, like the extension), else it waits FIFO. */
  deliverEvent(name: string): void {
    const list = this.waiters.get(name);
    const wait = list?.pop();
    if (wait) wait.receive();
    else this.buffered.set(name, (this.buffered.get(name) ?? 0) + 1);
  }

  startDriver(): void {
    this.advance();
  }

  childSettled(): void {
    this.advance();
  }

  /** The C# loop: `foreach action: await it` (exceptions swallowed), one action after the other. */
  private advance(): void {
    while (this.position < this.actions.length) {
      const node = this.build(this.actions[this.position++]);
      if (!node.done) {
        node.parent = this;
        return;
      }
    }
    this.driverDone = true;
  }
}

const KIND_OF_EVENT: Partial<Record<EventType, LeafKind>> = {
  [EventType.TaskScheduled]: 'task',
  [EventType.TimerCreated]: 'timer',
  [EventType.SubOrchestrationInstanceCreated]: 'sub',
  [EventType.EventSent]: 'sent',
};

const KIND_WORDS: Record<LeafKind, string> = {
  task: 'an activity task',
  timer: 'a durable timer',
  sub: 'a sub-orchestration',
  sent: 'an entity operation',
};

function nondeterminism(e: HistoryEvent, leaf: Leaf | undefined): string {
  const kind = KIND_OF_EVENT[e.EventType] ?? 'task';
  const name = e.Name ? ` and name '${e.Name}'` : '';
  const now = leaf
    ? ` The current code scheduled ${KIND_WORDS[leaf.kind]}${leaf.work.kind !== 'timer' ? ` named '${workName(leaf.work)}'` : ''} with that sequence ID instead.`
    : '';
  return (
    `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled ${KIND_WORDS[kind]} with sequence ID ${e.EventId}${name}, ` +
    `but the current replay execution hasn't (yet?) scheduled this task.${now} Was a change made to the orchestrator code after this instance had already started running?`
  );
}

function schedulingEvent(work: NewWork, at: Date): HistoryEvent {
  switch (work.kind) {
    case 'activity':
      return historyEvents.taskScheduled(at, work.id, work.name, work.input);
    case 'timer':
      return historyEvents.timerCreated(at, work.id, work.fireAt);
    case 'subOrchestration':
      return historyEvents.subOrchestrationCreated(at, work.id, work.name, work.instanceId, work.input, work.version);
    case 'entityMessage':
      return historyEvents.eventSent(at, work.id, work.targetInstanceId, work.operation, work.request);
  }
}

/**
 * Replays `history` (past events plus this episode's new ones) against the SDK's cumulative action
 * list and tells what is new, whether the C# loop would have finished, and what is still open.
 */
export function replayActions(
  history: HistoryEvent[],
  actions: OrchestratorAction[],
  options: ReplayOptions,
): ReplayResult {
  const firstStart = history.find((e) => e.EventType === EventType.OrchestratorStarted);
  const mirror = new Mirror(options, actions, new Date(firstStart?.Timestamp ?? Date.now()));
  let failure: string | undefined;
  let mismatch: ReplayMismatch | undefined;
  try {
    for (const [position, e] of history.entries()) {
      switch (e.EventType) {
        case EventType.OrchestratorStarted: {
          const t = new Date(e.Timestamp);
          if (t > mirror.now) mirror.now = t;
          break;
        }
        case EventType.ExecutionStarted:
          mirror.startDriver();
          break;
        case EventType.TaskScheduled:
        case EventType.TimerCreated:
        case EventType.SubOrchestrationInstanceCreated:
        case EventType.EventSent: {
          const leaf = mirror.leaves.get(e.EventId);
          const sameName =
            leaf && (leaf.work.kind === 'timer' || workName(leaf.work).toLowerCase() === (e.Name ?? '').toLowerCase());
          if (!leaf || leaf.kind !== KIND_OF_EVENT[e.EventType] || !sameName) {
            const recorded =
              e.EventType === EventType.TaskScheduled
                ? 'activity'
                : e.EventType === EventType.TimerCreated
                  ? 'timer'
                  : e.EventType === EventType.EventSent
                    ? 'entityMessage'
                    : 'subOrchestration';
            mismatch = {
              position,
              sequenceId: e.EventId,
              expected: { kind: recorded, ...(e.Name ? { name: e.Name } : {}) },
              actual: leaf
                ? { kind: leaf.work.kind, ...(leaf.work.kind !== 'timer' ? { name: workName(leaf.work) } : {}) }
                : undefined,
            };
            throw new ReplayFailure(nondeterminism(e, leaf));
          }
          mirror.recorded.add(e.EventId);
          break;
        }
        case EventType.TaskCompleted:
        case EventType.SubOrchestrationInstanceCompleted:
        case EventType.TaskFailed:
        case EventType.SubOrchestrationInstanceFailed:
        case EventType.TimerFired: {
          const id = e.EventType === EventType.TimerFired ? e.TimerId : e.TaskScheduledId;
          const leaf = id === undefined ? undefined : mirror.leaves.get(id);
          const failed =
            e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed;
          if (leaf && !leaf.done) leaf.answer(failed, e.Result);
          break;
        }
        case EventType.EventRaised:
          if (!mirror.answerCall(e.Name ?? '', e.Input)) mirror.deliverEvent(e.Name ?? '');
          break;
        default:
          break;
      }
    }
  } catch (error) {
    if (!(error instanceof ReplayFailure)) throw error;
    failure = error.message;
  }

  const fresh = [...mirror.leaves.values()].filter((l) => !mirror.recorded.has(l.id)).sort((a, b) => a.id - b.id);
  return {
    newEvents: fresh.map((l) => schedulingEvent(l.work, mirror.now)),
    newWork: fresh.filter((l) => !l.canceled).map((l) => l.work),
    driverDone: mirror.driverDone,
    // Entity calls, like event waits, do not hold up completion.
    hasOpenTasks: [...mirror.leaves.values()].some((l) => !l.done && l.kind !== 'sent'),
    continueAsNew: mirror.continueAsNew,
    failure,
    mismatch,
    nextId: mirror.nextId,
    ...(mirror.heldLocks ? { heldLocks: mirror.heldLocks } : {}),
  };
}

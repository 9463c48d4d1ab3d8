import type { ScheduledTask } from '../durable/engine/actionReplay';

/** What a replay check found: the history against the current orchestrator code. */

/**
 * A step of the orchestration as history records it and as the code asks for it: whatever the
 * host's replay schedules (activity, timer, sub-orchestration, entity message), or the end.
 */
export interface ReplayStep {
  kind: ScheduledTask['kind'] | 'completion';
  /** Activity or orchestrator name, entity operation; absent for timers and completions. */
  name?: string;
  /** For a recorded timer: when it was set to fire. */
  fireAt?: string;
  /** For a recorded entity message: the entity it went to. */
  target?: string;
}

/** How the recorded execution ended, if it did. */
export type RecordedOutcome =
  | { state: 'running' }
  | { state: 'completed'; position: number; output: unknown }
  | { state: 'failed'; position: number; error: string }
  | { state: 'continued-as-new'; position: number }
  | { state: 'terminated'; position: number };

/** What the current code does with the whole history replayed. */
export type CodeOutcome =
  | { state: 'completed'; output: unknown }
  | { state: 'failed'; error: string }
  | { state: 'continued-as-new' }
  /** Still running: `next` is what it would schedule now (empty when it waits for an event). */
  | { state: 'running'; next: ReplayStep[] };

export type ReplayProblem =
  /** History names an orchestrator the app does not register. */
  | { kind: 'unknown-orchestrator'; name: string; known: string[]; message: string }
  /**
   * The first step that differs. `position` indexes the history's events; `expected` is what
   * history recorded there, `actual` what the code schedules with that sequence id (if anything).
   */
  | {
      kind: 'mismatch';
      position: number;
      sequenceId: number;
      expected: ReplayStep;
      actual: ReplayStep | undefined;
      message: string;
    }
  /** The code asks for something the runtime refuses (an unknown activity, a bad retry option...). */
  | { kind: 'invalid-action'; message: string }
  /** History ended one way, the code now ends another (throws, keeps waiting, does not continue as new). */
  | { kind: 'outcome'; position: number; message: string };

export interface ReplayReport {
  ok: boolean;
  orchestrator: string;
  instanceId: string;
  source: string;
  eventCount: number;
  /** Scheduling events in history (activities, timers, sub-orchestrations): each was matched when ok. */
  scheduledCount: number;
  recorded: RecordedOutcome;
  /** Undefined when the code could not be run (unknown orchestrator). */
  current: CodeOutcome | undefined;
  problem?: ReplayProblem;
  /** Differences that do not break replay (a changed output, work the code would do next). */
  notes: string[];
}

/** "activity 'doActivityB'", "timer (fires 2026-01-01T10:00:00Z)", "the orchestration's completion". */
export function describeStep(step: ReplayStep | undefined): string {
  if (step === undefined) return 'nothing';
  switch (step.kind) {
    case 'activity':
      return `activity '${step.name ?? '?'}'`;
    case 'subOrchestration':
      return `sub-orchestration '${step.name ?? '?'}'`;
    case 'timer':
      return step.fireAt ? `timer (fires ${step.fireAt})` : 'timer';
    case 'entityMessage':
      return `entity operation '${step.name ?? '?'}'${step.target ? ` on ${step.target}` : ''}`;
    case 'completion':
      return "the orchestration's completion";
    default:
      // A kind the host's replay learned after this was written: say what it is called.
      return `${String(step.kind)}${step.name ? ` '${step.name}'` : ''}`;
  }
}

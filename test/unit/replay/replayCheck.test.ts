import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyEvents, OrchestrationStatus, type HistoryEvent } from '../../../host/durable/history/historyEvent';
import { recordedHistory } from '../../../host/replay/history/recordedHistory';
import { loadReplayApp, type ReplayApp } from '../../../host/replay/replayApp';
import { checkReplay } from '../../../host/replay/replayCheck';
import type { ReplayReport } from '../../../host/replay/replayReport';
import { reportText } from '../../../host/replay/reportText';

// The replay check against small orchestrators that each change one thing about "greet"
// (test/fixtures/apps/replayChecks): the history of a greet run is replayed against each by
// naming it in ExecutionStarted, as if the code of "greet" had been changed that way.

let app: ReplayApp;
beforeAll(() => {
  app = loadReplayApp(path.resolve(__dirname, '../../fixtures/apps/replayChecks'));
});

const t0 = new Date('2026-03-01T09:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);

/** What the host records for greet("Ada"): hello, then goodbye, then the result. */
function greetHistory(orchestrator: string): HistoryEvent[] {
  return [
    historyEvents.orchestratorStarted(at(0)),
    historyEvents.executionStarted(at(0), {
      instanceId: 'greet-1',
      executionId: 'e1',
      name: orchestrator,
      version: '',
      input: '"Ada"',
      parent: null,
      generation: 0,
    }),
    historyEvents.taskScheduled(at(0), 0, 'hello', '"Ada"'),
    historyEvents.orchestratorCompleted(at(0)),
    historyEvents.orchestratorStarted(at(1)),
    historyEvents.taskCompleted(at(1), 0, '"Hello Ada"'),
    historyEvents.taskScheduled(at(1), 1, 'goodbye', '"Ada"'),
    historyEvents.orchestratorCompleted(at(1)),
    historyEvents.orchestratorStarted(at(2)),
    historyEvents.taskCompleted(at(2), 1, '"Goodbye Ada"'),
    historyEvents.executionCompleted(at(2), 2, OrchestrationStatus.Completed, '["Hello Ada","Goodbye Ada"]'),
    historyEvents.orchestratorCompleted(at(2)),
  ];
}

function check(orchestrator: string, events = greetHistory(orchestrator)): Promise<ReplayReport> {
  return checkReplay(app, recordedHistory(events, `greet history as ${orchestrator}`));
}

describe('a history the code still replays', () => {
  it('matches every recorded step and ends as history did', async () => {
    const report = await check('greet');
    expect(report).toMatchObject({
      ok: true,
      orchestrator: 'greet',
      instanceId: 'greet-1',
      eventCount: 12,
      scheduledCount: 2,
      notes: [],
    });
    expect(report.recorded).toEqual({ state: 'completed', position: 10, output: ['Hello Ada', 'Goodbye Ada'] });
    expect(report.current).toEqual({ state: 'completed', output: ['Hello Ada', 'Goodbye Ada'] });
    expect(reportText(report)[0]).toBe(
      "ok: greet instance 'greet-1' (greet history as greet): replayed 12 events, all 2 recorded steps match, and it ends as recorded (completed).",
    );
  });

  it('replays whatever IsPlayed history stored: every event counts as played', async () => {
    const report = await check(
      'greet',
      greetHistory('greet').map((e) => ({ ...e, IsPlayed: false })),
    );
    expect(report.ok).toBe(true);
  });

  it('a different output is a note, not a failure: replay does not compare outputs', async () => {
    const report = await check('greetLoudly');
    expect(report.ok).toBe(true);
    expect(report.notes).toEqual([
      'The code now returns a different output than history recorded (replay is not affected): ["HELLO ADA","GOODBYE ADA"]',
    ]);
  });

  it('of a running instance, says what the code would schedule next', async () => {
    const running = greetHistory('greet').slice(0, 6);
    const report = await check('greet', running);
    expect(report).toMatchObject({
      ok: true,
      recorded: { state: 'running' },
      current: { state: 'running', next: [{ kind: 'activity', name: 'goodbye' }] },
    });
    expect(report.notes).toEqual([
      "On its next episode the current code would schedule: activity 'goodbye' (history's last episode did not).",
    ]);
  });
});

describe('the first step that differs, with its position and sequence id', () => {
  it('a step inserted in the middle: history has goodbye where the code now schedules wave', async () => {
    const report = await check('greetAndWave');
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({
      kind: 'mismatch',
      position: 6,
      sequenceId: 1,
      expected: { kind: 'activity', name: 'goodbye' },
      actual: { kind: 'activity', name: 'wave' },
    });
    expect(reportText(report)).toEqual([
      "MISMATCH: greetAndWave instance 'greet-1' (greet history as greetAndWave): the current code does not replay this history.",
      '  first difference at event 6, sequence id 1:',
      "    expected (history):   activity 'goodbye'",
      "    actual (code now):    activity 'wave'",
      expect.stringMatching(
        /^ {2}Non-Deterministic workflow detected: .*sequence ID 1 and name 'goodbye'.*named 'wave'/,
      ),
    ]);
  });

  it('a step dropped: nothing has the sequence id history recorded', async () => {
    const report = await check('greetOnce');
    expect(report.problem).toMatchObject({
      kind: 'mismatch',
      position: 6,
      sequenceId: 1,
      expected: { kind: 'activity', name: 'goodbye' },
      actual: undefined,
    });
    expect(reportText(report)[3]).toBe('    actual (code now):    nothing with that sequence id');
  });

  it('a timer where history has an activity', async () => {
    const report = await check('greetLater');
    expect(report.problem).toMatchObject({
      kind: 'mismatch',
      position: 6,
      sequenceId: 1,
      expected: { kind: 'activity', name: 'goodbye' },
      actual: { kind: 'timer' },
    });
  });

  it('a step added after the last: history completed where the code schedules more', async () => {
    const report = await check('greetThenWave');
    expect(report.problem).toMatchObject({
      kind: 'mismatch',
      position: 10,
      sequenceId: 2,
      expected: { kind: 'completion' },
      actual: { kind: 'activity', name: 'wave' },
    });
    expect(reportText(report)[2]).toBe("    expected (history):   the orchestration's completion");
  });

  it('in a running instance, the same inserted step is found in the episodes recorded so far', async () => {
    const report = await check('greetAndWave', greetHistory('greetAndWave').slice(0, 8));
    expect(report.problem).toMatchObject({
      kind: 'mismatch',
      position: 6,
      expected: { name: 'goodbye' },
      actual: { name: 'wave' },
    });
  });
});

describe('other ways the code no longer fits the history', () => {
  it('the code throws where history completed', async () => {
    const report = await check('greetThenThrow');
    expect(report.problem).toMatchObject({ kind: 'outcome', position: 10 });
    expect(report.problem?.message).toMatch(
      /^History completed the orchestration at event 10; the current code fails instead: .*the greeting is no longer allowed/,
    );
    expect(report.current).toMatchObject({ state: 'failed' });
  });

  it('the code still waits where history completed', async () => {
    const report = await check('greetThenWait');
    expect(report.problem).toMatchObject({ kind: 'outcome', position: 10 });
    expect(report.problem?.message).toMatch(/the current code has not finished: it still waits/);
  });

  it('the code calls an activity the app does not have', async () => {
    const report = await check('greetUnknown');
    expect(report.problem).toMatchObject({ kind: 'invalid-action' });
    expect(report.problem?.message).toMatch(/The function 'noSuchActivity' doesn't exist/);
  });

  it('history names an orchestrator the app does not register: one line naming the ones it has', async () => {
    const report = await check('farewell');
    expect(report.problem).toMatchObject({ kind: 'unknown-orchestrator', name: 'farewell' });
    expect(report.current).toBeUndefined();
    const lines = reportText(report);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/The app has no orchestrator named 'farewell' \(it has: greet, greetAndWave, /);
  });

  it('history that ended Failed is not held against code that now completes', async () => {
    const failed = greetHistory('greet');
    failed[10] = historyEvents.executionCompleted(
      at(2),
      2,
      OrchestrationStatus.Failed,
      "Orchestrator function 'greet' failed: boom",
    );
    const report = await check('greet', failed);
    expect(report.ok).toBe(true);
    expect(report.notes[0]).toMatch(
      /^History ended Failed \(Orchestrator function 'greet' failed: boom\); the current code completes there\./,
    );
  });
});

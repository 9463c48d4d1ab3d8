import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EventType,
  historyEvents,
  OrchestrationStatus,
  type HistoryEvent,
} from '../../../host/durable/history/historyEvent';
import { parseHistoryText, readHistoryFile } from '../../../host/replay/history/historyFile';
import { HistorySourceError } from '../../../host/replay/historySourceError';

// What the replay command accepts as a history, and the one line it says about what it does not.

const t0 = new Date('2026-03-01T09:00:00Z');

function started(name = 'greet', instanceId = 'i-1'): HistoryEvent[] {
  return [
    historyEvents.orchestratorStarted(t0),
    historyEvents.executionStarted(t0, {
      instanceId,
      executionId: 'e1',
      name,
      version: '',
      input: '"Ada"',
      parent: null,
      generation: 0,
    }),
    historyEvents.taskScheduled(t0, 0, 'hello', null),
    historyEvents.orchestratorCompleted(t0),
  ];
}

function problem(text: string): HistorySourceError {
  try {
    parseHistoryText(text, 'h.json');
  } catch (error) {
    if (error instanceof HistorySourceError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('accepted forms', () => {
  it('a bare array of events: what is needed is read off ExecutionStarted', () => {
    const [history] = parseHistoryText(JSON.stringify(started()), 'h.json');
    expect(history).toMatchObject({
      source: 'h.json',
      orchestrator: 'greet',
      instanceId: 'i-1',
      executionId: 'e1',
      input: '"Ada"',
      parentInstanceId: null,
    });
    expect(history.events).toHaveLength(4);
  });

  it('an object with "history" (the fixture form) and its sub-orchestrations, the file\'s own history first', () => {
    const text = JSON.stringify({
      note: 'recorded',
      history: started(),
      subOrchestrations: [{ instanceId: 'i-1:A', history: started('step', 'i-1:A') }],
    });
    const histories = parseHistoryText(text, 'h.json');
    expect(histories.map((h) => [h.orchestrator, h.instanceId, h.source])).toEqual([
      ['greet', 'i-1', 'h.json'],
      ['step', 'i-1:A', "h.json, sub-orchestration 'i-1:A'"],
    ]);
  });

  it('enum names as the Azure Storage provider stores them, and numbers as text', () => {
    const events: unknown[] = started().map((e) => ({
      ...e,
      EventType: EventType[e.EventType],
      EventId: String(e.EventId),
    }));
    events.push({
      EventType: 'ExecutionCompleted',
      EventId: 1,
      Timestamp: t0.toISOString(),
      OrchestrationStatus: 'Completed',
      Result: 'null',
    });
    const [history] = parseHistoryText(JSON.stringify(events), 'h.json');
    expect(history.events.map((e) => e.EventType)).toEqual([12, 0, 4, 13, 1]);
    expect(history.events[2].EventId).toBe(0);
    expect(history.events[4].OrchestrationStatus).toBe(OrchestrationStatus.Completed);
  });

  it('the parent of a sub-orchestration is read from ParentInstance', () => {
    const events = started('step', 'i-1:A');
    events[1].ParentInstance = {
      Name: 'greet',
      Version: '',
      TaskScheduleId: 3,
      OrchestrationInstance: { InstanceId: 'i-1', ExecutionId: 'e0' },
    };
    expect(parseHistoryText(JSON.stringify(events), 'h.json')[0].parentInstanceId).toBe('i-1');
  });
});

describe('not a history: one line saying what is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{ nope', /^h\.json is not JSON: /],
    [
      'JSON of another shape',
      '{"events": []}',
      /^h\.json is not a history: expected an array of history events or an object with a "history" array\.$/,
    ],
    ['no events', '[]', /^h\.json holds no history events\.$/],
    [
      'no ExecutionStarted',
      JSON.stringify(started().filter((e) => e.EventType !== EventType.ExecutionStarted)),
      /has no ExecutionStarted event, so it does not say which orchestrator ran/,
    ],
    ['two executions', JSON.stringify([...started(), ...started()]), /holds 2 executions/],
    ['no OrchestratorStarted', JSON.stringify(started().slice(1)), /has no OrchestratorStarted event/],
    [
      'an unknown event type',
      JSON.stringify([...started(), { EventType: 'Teleported', EventId: -1, Timestamp: t0.toISOString() }]),
      /^h\.json: event 4 has EventType "Teleported", which is not a DTFx history event type\.$/,
    ],
    [
      'an event without a time',
      JSON.stringify([...started(), { EventType: 5, EventId: -1 }]),
      /event 4 \(TaskCompleted\) has no Timestamp date/,
    ],
    [
      'a payload that is not JSON text',
      JSON.stringify([...started(), { ...historyEvents.taskCompleted(t0, 0, null), Result: { ok: true } }]),
      /event 4 \(TaskCompleted\) has a Result that is not text/,
    ],
    [
      'an input that is not JSON',
      JSON.stringify(started().map((e) => (e.EventType === EventType.ExecutionStarted ? { ...e, Input: 'Ada' } : e))),
      /the ExecutionStarted Input is not JSON text/,
    ],
    [
      "the status API's showHistory view",
      JSON.stringify([{ eventType: 'ExecutionStarted', timestamp: t0.toISOString() }]),
      /that is the status API's showHistory view/,
    ],
    [
      'a bad subOrchestrations member',
      JSON.stringify({ history: started(), subOrchestrations: [{ events: [] }] }),
      /subOrchestrations\[0\] is not an object with a "history" array/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      const error = problem(text);
      expect(error.problem).toBe('not-a-history');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    });
  }

  it('a file that is not there, or a directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-file-'));
    try {
      expect(() => readHistoryFile(path.join(dir, 'missing.json'))).toThrow(
        /Cannot read the history file .*missing\.json: there is no such file\./,
      );
      expect(() => readHistoryFile(dir)).toThrow(/: it is a directory\./);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

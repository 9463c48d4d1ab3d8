import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../../host/durable/history/historyEvent';
import { readHistoryFile } from '../../../host/replay/history/historyFile';
import type { ReplayApp } from '../../../host/replay/replayApp';
import { checkReplay } from '../../../host/replay/replayCheck';
import { reportText } from '../../../host/replay/reportText';
import { sagaAppFromSources } from './sagaAppFromSources';

// The recorded histories of every saga path (test/fixtures/histories, recorded on the local host
// by scripts/recordHistories.ts) replayed against the saga's current code: those started at the
// app's current default version (v3), in v2/ those started as v2, and in v1/ those started before
// versions existed (Version ""). A change that would break sagas in flight fails here, naming the
// first step that differs, before it is deployed.

const FIXTURES = path.resolve(__dirname, '../../fixtures/histories');
interface Expected {
  status: number;
  body: Record<string, unknown>;
}
const OLD_PATHS: Record<string, Expected> = {
  success: { status: 200, body: { outcome: 'completed' } },
  'rejected-at-a': { status: 400, body: { outcome: 'rejected', step: 'A', compensated: [] } },
  'rejected-at-b': { status: 400, body: { outcome: 'rejected', step: 'B', compensated: ['A'] } },
  'rejected-at-c': { status: 400, body: { outcome: 'rejected', step: 'C' } },
  'compensation-failed': {
    status: 500,
    body: { outcome: 'failed', step: 'C', cause: 'step-error', needsAttention: true, compensationFailed: ['C'] },
  },
  deadline: { status: 500, body: { outcome: 'failed', step: 'A', cause: 'deadline', compensated: ['A'] } },
};
/** What each version's recordings hold, by folder ('' = the current version, v3). */
const RECORDINGS: Record<string, Record<string, Expected>> = {
  '': {
    success: { status: 200, body: { outcome: 'completed' } },
    'rejected-at-a': { status: 400, body: { outcome: 'rejected', step: 'A', compensated: [] } },
    'rejected-at-credit': {
      status: 400,
      body: { outcome: 'rejected', step: 'B', reason: { code: 'insufficient-funds' }, compensated: ['A'] },
    },
    'rejected-at-b': {
      status: 400,
      body: { outcome: 'rejected', step: 'B', reason: { code: 'insufficient-funds' }, compensated: ['A'] },
    },
    'rejected-at-c': { status: 400, body: { outcome: 'rejected', step: 'C', compensated: ['A', 'B'] } },
    'retried-then-succeeded': { status: 200, body: { outcome: 'completed' } },
    'retries-into-deadline': {
      status: 500,
      body: { outcome: 'failed', step: 'A', cause: 'deadline', compensated: ['A'] },
    },
    'running-at-deadline': {
      status: 500,
      body: { outcome: 'failed', step: 'B', cause: 'deadline', compensated: ['A', 'B'] },
    },
    'compensation-failed': {
      status: 500,
      body: { outcome: 'failed', step: 'C', cause: 'step-error', needsAttention: true, compensationFailed: ['C'] },
    },
  },
  v2: OLD_PATHS,
  v1: OLD_PATHS,
};
const VERSIONS = Object.keys(RECORDINGS);

interface SagaFixture {
  output: { status: number; body: Record<string, unknown> };
}

function fixtureFile(name: string, version = ''): string {
  return path.join(FIXTURES, version, `${name}.json`);
}

function label(name: string, version: string): string {
  return version === '' ? name : `${version}/${name}`;
}

function scheduledNames(name: string, version = ''): string[] {
  const [saga] = readHistoryFile(fixtureFile(name, version));
  return saga.events
    .filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
    .map((e) => e.Name ?? '');
}

let app: ReplayApp;
beforeAll(async () => {
  app = await sagaAppFromSources();
});

it('there is a recorded history for every path of the saga, in each version', () => {
  for (const version of VERSIONS) {
    const recorded = fs.readdirSync(path.join(FIXTURES, version)).filter((file) => file.endsWith('.json'));
    expect(recorded.sort()).toEqual(
      Object.keys(RECORDINGS[version])
        .map((name) => `${name}.json`)
        .sort(),
    );
  }
});

describe('every recorded path replays against the current saga code', () => {
  for (const version of VERSIONS) {
    for (const name of Object.keys(RECORDINGS[version])) {
      it(label(name, version), async () => {
        const [saga, ...steps] = readHistoryFile(fixtureFile(name, version));
        for (const history of [saga, ...steps]) {
          const report = await checkReplay(app, history);
          expect(report.problem, reportText(report).join('\n')).toBeUndefined();
          // Ends as history did: the saga completes (its output says how it went); a step's own
          // orchestration may have failed (a step that errored after its retries).
          expect(report.current?.state).toBe(report.recorded.state);
          if (history === saga) expect(report.recorded.state).toBe('completed');
        }
      });
    }
  }

  it('the v1 recordings started without a version, v2 as 2.0, the others as 3.0', () => {
    const versionOf = (version: string): string | undefined =>
      readHistoryFile(fixtureFile('success', version))[0].events.find((e) => e.EventType === EventType.ExecutionStarted)
        ?.Version;
    expect([versionOf('v1'), versionOf('v2'), versionOf('')]).toEqual(['', '2.0', '3.0']);
  });

  it('v1 and v2 ran each step as a sagaStep sub-orchestration; v3 calls the do-activities itself', () => {
    expect(scheduledNames('success', 'v1')).toEqual(['sagaStep', 'sagaStep', 'sagaStep']);
    expect(scheduledNames('success', 'v2')).toEqual(['sagaStep', 'checkCredit', 'sagaStep', 'sagaStep']);
    expect(scheduledNames('success')).toEqual(['doActivityA', 'checkCredit', 'doActivityB', 'doActivityC']);
    // A retry is a new attempt of the same plain activity, after its own backoff timer.
    expect(scheduledNames('retried-then-succeeded')).toEqual([
      'doActivityA',
      'checkCredit',
      'doActivityB',
      'doActivityB',
      'doActivityC',
    ]);
  });
});

describe('the recordings hold the paths they are named for', () => {
  for (const version of VERSIONS) {
    for (const [name, expected] of Object.entries(RECORDINGS[version])) {
      it(`${label(name, version)}: ${JSON.stringify(expected)}`, () => {
        const fixture = JSON.parse(fs.readFileSync(fixtureFile(name, version), 'utf8')) as SagaFixture;
        expect(fixture.output).toMatchObject(expected);
        // What the output says is what history recorded as the orchestration's result.
        const [history] = readHistoryFile(fixtureFile(name, version));
        const completed = history.events.find((e) => e.EventType === EventType.ExecutionCompleted);
        expect(JSON.parse(completed?.Result ?? 'null')).toEqual(fixture.output);
      });
    }
  }

  it('compensation-failed recorded an incident for the compensation that failed', () => {
    for (const version of VERSIONS) {
      const fixture = JSON.parse(fs.readFileSync(fixtureFile('compensation-failed', version), 'utf8')) as SagaFixture;
      expect(fixture.output.body.incidents).toHaveLength(1);
    }
  });
});

describe('a recorded step the code no longer takes is named, with its position and sequence id', () => {
  // A history whose step is called differently is what the check sees when the code now calls it
  // differently: rename one recorded step in the middle of each path.
  for (const name of Object.keys(RECORDINGS[''])) {
    it(name, async () => {
      const [history] = readHistoryFile(fixtureFile(name));
      const steps = history.events
        .map((event, position) => ({ event, position }))
        .filter(
          ({ event }) =>
            event.EventType === EventType.TaskScheduled ||
            event.EventType === EventType.SubOrchestrationInstanceCreated,
        );
      const { event, position } = steps[Math.floor(steps.length / 2)];
      const renamed = `${event.Name ?? ''}Renamed`;
      const events = history.events.map((e, i) => (i === position ? { ...e, Name: renamed } : e));

      const report = await checkReplay(app, { ...history, events });

      const kind = event.EventType === EventType.TaskScheduled ? 'activity' : 'subOrchestration';
      expect(report.problem).toMatchObject({
        kind: 'mismatch',
        position,
        sequenceId: event.EventId,
        expected: { kind, name: renamed },
        actual: { kind, name: event.Name },
      });
    });
  }
});

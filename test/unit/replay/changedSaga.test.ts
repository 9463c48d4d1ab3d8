import path from 'node:path';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../../host/durable/history/historyEvent';
import { readHistoryFile } from '../../../host/replay/history/historyFile';
import type { ReplayApp } from '../../../host/replay/replayApp';
import { checkReplay } from '../../../host/replay/replayCheck';
import { reportText } from '../../../host/replay/reportText';
import { sagaAppFromSources } from './sagaAppFromSources';

// The mistake the replay check exists for: a change to the saga that is not behind
// context.df.version. Here every saga screens the order before step A (the same change as the
// fixture app test/fixtures/apps/changedSaga, which the replay command's tests use). Every saga
// recorded before it has step A's task where the code now schedules 'screenOrder'.

const FIXTURES = path.resolve(__dirname, '../../fixtures/histories');
const OLD_PATHS = ['success', 'rejected-at-a', 'rejected-at-b', 'rejected-at-c', 'compensation-failed', 'deadline'];
const V3_PATHS = [
  'success',
  'rejected-at-a',
  'rejected-at-credit',
  'rejected-at-b',
  'rejected-at-c',
  'retried-then-succeeded',
  'retries-into-deadline',
  'running-at-deadline',
  'compensation-failed',
];
const RECORDINGS = [...V3_PATHS, ...OLD_PATHS.map((name) => `v2/${name}`), ...OLD_PATHS.map((name) => `v1/${name}`)];

let app: ReplayApp;
beforeAll(async () => {
  app = await sagaAppFromSources((saga) => {
    df.app.activity('screenOrder', { handler: () => ({ ok: true }) });
    return function* screenedSaga(context: OrchestrationContext) {
      yield context.df.callActivity('screenOrder', context.df.getInput());
      return yield* saga(context);
    };
  });
});

describe('an unversioned new first step breaks every recorded saga, at its first recorded step', () => {
  for (const name of RECORDINGS) {
    it(name, async () => {
      const [saga, ...subOrchestrations] = readHistoryFile(path.join(FIXTURES, `${name}.json`));
      const position = saga.events.findIndex(
        (e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated,
      );
      const first = saga.events[position];

      const report = await checkReplay(app, saga);

      expect(report.problem).toMatchObject({
        kind: 'mismatch',
        position,
        sequenceId: 0,
        expected: {
          kind: first.EventType === EventType.TaskScheduled ? 'activity' : 'subOrchestration',
          name: first.Name,
        },
        actual: { kind: 'activity', name: 'screenOrder' },
      });
      expect(reportText(report)[3]).toBe("    actual (code now):    activity 'screenOrder'");
      // The steps' own orchestrations did not change.
      for (const child of subOrchestrations) expect((await checkReplay(app, child)).ok).toBe(true);
    });
  }
});

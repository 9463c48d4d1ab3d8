import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSagaActivities, SagaActivities } from '../../../src/functions/activities';
import { StepResult } from '../../../src/saga/activityContract';
import { validateOrderRequest } from '../../../src/saga/orderInput';
import { sagaSteps, StepKey } from '../../../src/saga/steps';
import { createCosmosClient, CosmosSettings } from '../../../src/services/cosmosClient';
import { openSagaStores, SagaStores } from '../../../src/services/containers';
import { StockDocument } from '../../../src/services/inventory';
import { AccountDocument } from '../../../src/services/payment';
import { seedDemoData } from '../../../src/services/seedData';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { orderExamples } from '../../support/orderExamples';

// Each example order of the README, run step by step through the real activities against the
// seed data, the way the orchestrator would: do A, B, C; at the first refusal undo what was done,
// latest first. Checks that the examples produce the outcome examples/expected-outcomes.json
// (and the README) promise, and that a rejected order leaves stock and balances as they were.

let server: CosmosTestServer;
let stores: SagaStores;
let activities: SagaActivities;
let dispose: () => void;

beforeAll(async () => {
  server = await startCosmosServer();
  const settings: CosmosSettings = {
    endpoint: server.endpoint,
    key: server.key,
    databaseId: `examples-${randomUUID()}`,
  };
  await seedDemoData({ settings });
  const client = createCosmosClient(settings);
  dispose = () => client.dispose();
  stores = await openSagaStores(client, settings.databaseId);
  activities = createSagaActivities(() => Promise.resolve(stores));
});

afterAll(async () => {
  dispose();
  await server.stop();
});

interface DriverOutcome {
  readonly outcome: 'completed' | 'rejected';
  readonly step?: StepKey;
  readonly reason?: string;
  readonly compensated: StepKey[];
}

async function runSaga(sagaId: string, order: unknown): Promise<DriverOutcome> {
  const done: StepKey[] = [];
  for (const step of sagaSteps) {
    const result: StepResult = await activities[step.doActivity]({ sagaId, order });
    if (!result.ok) {
      const compensated = [...done].reverse();
      for (const key of compensated) await activities[`rejectActivity${key}`]({ sagaId, order });
      return { outcome: 'rejected', step: step.key, reason: result.reason.code, compensated: [...done] };
    }
    done.push(step.key);
  }
  return { outcome: 'completed', compensated: [] };
}

async function snapshot(): Promise<{ stock: Record<string, number>; balances: Record<string, number> }> {
  const stock = await stores.inventory.items.query<StockDocument>('SELECT * FROM c').fetchAll();
  const accounts = await stores.payments.items
    .query<AccountDocument>("SELECT * FROM c WHERE c.type = 'account'")
    .fetchAll();
  return {
    stock: Object.fromEntries(stock.resources.map((item) => [item.sku, item.available])),
    balances: Object.fromEntries(accounts.resources.map((account) => [account.accountId, account.balanceCents])),
  };
}

describe('the example orders against the seed data', () => {
  const sagaExamples = orderExamples().filter((example) => example.expected.saga !== undefined);

  it.each(sagaExamples.map((example) => [example.file, example] as const))(
    '%s ends as documented',
    async (file, example) => {
      const validation = validateOrderRequest({ body: example.body });
      if (!validation.ok) throw new Error(`${file} does not validate`);
      const expected = example.expected.saga;
      const before = await snapshot();

      const outcome = await runSaga(`example-${randomUUID()}`, validation.order);

      expect(outcome.outcome).toBe(expected?.outcome);
      if (expected?.outcome === 'rejected') {
        expect(outcome).toEqual({
          outcome: 'rejected',
          step: expected.step,
          reason: expected.reason,
          compensated: expected.compensated,
        });
        expect(await snapshot()).toEqual(before);
      }
    },
  );
});

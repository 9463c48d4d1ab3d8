import { Container } from '@azure/cosmos';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AccountDocument,
  chargePayment,
  newAccountDocument,
  PaymentDocument,
  refundPayment,
} from '../../../src/services/payment';
import { CosmosTestServer, startCosmosServer } from '../../support/cosmosServer';
import { createTestStores, TestStores } from '../../support/sagaTestStores';

// Step B against the real Cosmos-protocol server.

let server: CosmosTestServer;
let test: TestStores;
let payments: Container;

beforeAll(async () => {
  server = await startCosmosServer();
  test = await createTestStores(server.endpoint, server.key);
  payments = test.stores.payments;
});

afterAll(async () => {
  test.client.dispose();
  await server.stop();
});

beforeEach(async () => {
  await payments.items.upsert(newAccountDocument('cust-alice', 'Alice', 'EUR', 10_000, 5_000));
  for (const id of ['payment-saga-1', 'payment-saga-2']) {
    await payments
      .item(id, 'cust-alice')
      .delete()
      .catch(() => undefined);
  }
});

async function account(): Promise<AccountDocument> {
  const { resource } = await payments.item('cust-alice', 'cust-alice').read<AccountDocument>();
  if (resource === undefined) throw new Error('no account');
  return resource;
}

async function receipt(sagaId: string): Promise<PaymentDocument | undefined> {
  return (await payments.item(`payment-${sagaId}`, 'cust-alice').read<PaymentDocument>()).resource;
}

const charge = (sagaId: string, amountCents: number, currency = 'EUR') =>
  chargePayment(payments, { sagaId, customerId: 'cust-alice', amountCents, currency });

describe('chargePayment', () => {
  it('debits the balance and writes a payment document keyed by the saga', async () => {
    const result = await charge('saga-1', 2_500);

    expect(result).toEqual({ ok: true, paymentId: 'payment-saga-1' });
    expect((await account()).balanceCents).toBe(7_500);
    expect(await receipt('saga-1')).toMatchObject({
      sagaId: 'saga-1',
      amountCents: 2_500,
      currency: 'EUR',
      status: 'charged',
    });
  });

  it('twice has the effect of once', async () => {
    await charge('saga-1', 2_500);
    const second = await charge('saga-1', 2_500);

    expect(second).toEqual({ ok: true, paymentId: 'payment-saga-1' });
    expect((await account()).balanceCents).toBe(7_500);
  });

  it.each([
    [20_000, 'EUR', 'amount-over-limit'],
    [5_000, 'USD', 'currency-mismatch'],
  ])('returns a refusal as a result: %i %s → %s', async (amount, currency, code) => {
    const result = await charge('saga-1', amount, currency);

    expect(result).toMatchObject({ ok: false, reason: { code } });
    expect((await account()).balanceCents).toBe(10_000);
    expect(await receipt('saga-1')).toBeUndefined();
  });

  it('returns insufficient funds as a result', async () => {
    await payments.items.upsert(newAccountDocument('cust-alice', 'Alice', 'EUR', 1_000, 5_000));
    expect(await charge('saga-1', 2_500)).toEqual({
      ok: false,
      reason: { code: 'insufficient-funds', message: '2500 cents requested, 1000 cents available' },
    });
  });

  it('returns an unknown account as a result', async () => {
    const result = await chargePayment(payments, {
      sagaId: 'saga-1',
      customerId: 'cust-nobody',
      amountCents: 1,
      currency: 'EUR',
    });
    expect(result).toMatchObject({ ok: false, reason: { code: 'unknown-account' } });
  });

  it('never overdraws: 20 concurrent charges of 1000 against 10000 succeed exactly 10 times', async () => {
    await payments.items.upsert(newAccountDocument('cust-alice', 'Alice', 'EUR', 10_000, 10_000));
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => charge(`saga-c${index}`, 1_000)));

    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect((await account()).balanceCents).toBe(0);
  });
});

describe('refundPayment', () => {
  it('credits the charge back and marks the payment refunded', async () => {
    await charge('saga-1', 2_500);
    const result = await refundPayment(payments, { sagaId: 'saga-1', customerId: 'cust-alice' });

    expect(result).toEqual({ effect: 'undone' });
    expect((await account()).balanceCents).toBe(10_000);
    expect(await receipt('saga-1')).toMatchObject({ status: 'refunded', refundedAt: expect.any(String) });
  });

  it('twice has the effect of once', async () => {
    await charge('saga-1', 2_500);
    await refundPayment(payments, { sagaId: 'saga-1', customerId: 'cust-alice' });
    const second = await refundPayment(payments, { sagaId: 'saga-1', customerId: 'cust-alice' });

    expect(second).toEqual({ effect: 'nothing-to-undo' });
    expect((await account()).balanceCents).toBe(10_000);
  });

  it('of a charge that never happened is a no-op that succeeds, even for an unknown account', async () => {
    expect(await refundPayment(payments, { sagaId: 'saga-2', customerId: 'cust-alice' })).toEqual({
      effect: 'nothing-to-undo',
    });
    expect(await refundPayment(payments, { sagaId: 'saga-2', customerId: 'cust-nobody' })).toEqual({
      effect: 'nothing-to-undo',
    });
    expect((await account()).balanceCents).toBe(10_000);
    expect(await receipt('saga-2')).toBeUndefined();
  });

  it('fences the saga off: a charge arriving after the refund (a late duplicate) is refused', async () => {
    await refundPayment(payments, { sagaId: 'saga-2', customerId: 'cust-alice' });
    const late = await charge('saga-2', 2_500);

    expect(late).toMatchObject({ ok: false, reason: { code: 'payment-cancelled' } });
    expect((await account()).balanceCents).toBe(10_000);
  });

  it('repairs a receipt left "charged" by an attempt that died after the refund', async () => {
    await charge('saga-1', 2_500);
    await refundPayment(payments, { sagaId: 'saga-1', customerId: 'cust-alice' });
    const stale = await receipt('saga-1');
    if (stale === undefined) throw new Error('no receipt');
    await payments.items.upsert({ ...stale, status: 'charged' });

    await refundPayment(payments, { sagaId: 'saga-1', customerId: 'cust-alice' });

    expect(await receipt('saga-1')).toMatchObject({ status: 'refunded' });
    expect((await account()).balanceCents).toBe(10_000);
  });
});

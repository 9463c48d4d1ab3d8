import { describe, expect, it } from 'vitest';
import {
  maxOrderBodyBytes,
  Order,
  OrderRequest,
  orderTotalCents,
  sameOrder,
  validateOrderRequest,
} from '../../../src/saga/orderInput';
import { orderExample, orderExamples } from '../../support/orderExamples';

const validOrder: Order = {
  customerId: 'cust-alice',
  currency: 'EUR',
  lines: [
    { sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 8_999 },
    { sku: 'SKU-MOUSE', quantity: 2, unitPriceCents: 2_499 },
  ],
  shipTo: { name: 'Alice Example', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
};

function validate(body: unknown, extra: Partial<OrderRequest> = {}) {
  return validateOrderRequest({ body: typeof body === 'string' ? body : JSON.stringify(body), ...extra });
}

/** The failure of a validation expected to fail: its status and errors by path. */
function refusal(body: unknown, extra: Partial<OrderRequest> = {}): { status: number; errors: Record<string, string> } {
  const result = validate(body, extra);
  if (result.ok) throw new Error('expected the request to be refused');
  return {
    status: result.status,
    errors: Object.fromEntries(result.errors.map((error) => [error.path, error.message])),
  };
}

const withLine = (patch: Record<string, unknown>) => ({ ...validOrder, lines: [{ ...validOrder.lines[0], ...patch }] });

describe('validateOrderRequest', () => {
  it('accepts a complete order and gives it back typed, without an instance id', () => {
    expect(validate(validOrder)).toEqual({ ok: true, order: validOrder, instanceId: undefined });
  });

  it('trims text fields', () => {
    const result = validate({ ...validOrder, shipTo: { ...validOrder.shipTo, city: '  Amsterdam  ' } });
    expect(result.ok && result.order.shipTo.city).toBe('Amsterdam');
  });

  describe('the body as a whole', () => {
    it('refuses an empty body', () => {
      expect(refusal('')).toEqual({ status: 400, errors: { $: 'body is empty; send the order as JSON' } });
      expect(refusal('  \n ').status).toBe(400);
    });

    it('refuses malformed JSON, saying so', () => {
      const { status, errors } = refusal('{ "customerId": "cust-alice", ');
      expect(status).toBe(400);
      expect(errors.$).toMatch(/^body is not valid JSON: /);
    });

    it.each([['null'], ['[]'], ['"an order"'], ['42']])('refuses %s: an order is a JSON object', (body) => {
      expect(refusal(body)).toEqual({ status: 400, errors: { $: 'must be a JSON object describing the order' } });
    });

    it('refuses a body over the limit with 413, in the same error shape', () => {
      const huge = JSON.stringify({ ...validOrder, padding: 'x'.repeat(maxOrderBodyBytes) });
      const { status, errors } = refusal(huge);
      expect(status).toBe(413);
      expect(errors.$).toMatch(/the limit is 65536 bytes/);
    });

    it('counts bytes, not characters', () => {
      const multiByte = JSON.stringify({
        ...validOrder,
        shipTo: { ...validOrder.shipTo, name: '€'.repeat(maxOrderBodyBytes / 3 + 1) },
      });
      expect(multiByte.length).toBeLessThan(maxOrderBodyBytes);
      expect(refusal(multiByte).status).toBe(413);
    });

    it('refuses a declared Content-Length over the limit without looking at the body', () => {
      expect(refusal('', { contentLength: String(maxOrderBodyBytes + 1) }).status).toBe(413);
    });
  });

  describe('fields', () => {
    it('names every missing field', () => {
      expect(refusal({ lines: validOrder.lines }).errors).toEqual({
        '$.customerId': 'is required',
        '$.currency': 'is required',
        '$.shipTo': 'is required',
      });
    });

    it('names fields of the wrong type', () => {
      const { errors } = refusal({ ...validOrder, customerId: 42, lines: 'two keyboards', shipTo: 'Damrak 1' });
      expect(errors).toEqual({
        '$.customerId': 'must be a string',
        '$.lines': 'must be a list of order lines',
        '$.shipTo': 'must be an address object',
      });
    });

    it('refuses an order without lines', () => {
      expect(refusal({ ...validOrder, lines: [] }).errors).toEqual({ '$.lines': 'must contain at least one line' });
    });

    it('refuses more than 50 lines', () => {
      const lines = Array.from({ length: 51 }, (_, index) => ({
        sku: `SKU-${index}`,
        quantity: 1,
        unitPriceCents: 100,
      }));
      expect(refusal({ ...validOrder, lines }).errors).toEqual({ '$.lines': 'must contain at most 50 lines' });
    });

    it.each([
      [0, 'must be greater than 0'],
      [-3, 'must be greater than 0'],
      [1.5, 'must be a whole number'],
      ['1', 'must be a number'],
      [1001, 'must be at most 1000'],
    ])('refuses quantity %j: %s', (quantity, message) => {
      expect(refusal(withLine({ quantity })).errors).toEqual({ '$.lines[0].quantity': message });
    });

    it.each([
      [0, 'must be greater than 0'],
      [-100, 'must be greater than 0'],
      [9.99, 'must be a whole number of cents'],
      [null, 'must be a number'],
    ])('refuses unit price %j: %s', (unitPriceCents, message) => {
      expect(refusal(withLine({ unitPriceCents })).errors).toEqual({ '$.lines[0].unitPriceCents': message });
    });

    it('refuses a line without a price', () => {
      const { unitPriceCents: _omitted, ...line } = validOrder.lines[0] ?? { unitPriceCents: 0 };
      expect(refusal({ ...validOrder, lines: [line] }).errors).toEqual({ '$.lines[0].unitPriceCents': 'is required' });
    });

    it('refuses a SKU that is not an upper-case code', () => {
      expect(refusal(withLine({ sku: 'keyboard' })).errors['$.lines[0].sku']).toMatch(/upper-case SKU code/);
    });

    it('refuses the same SKU on two lines', () => {
      const lines = [validOrder.lines[0], { sku: 'SKU-KEYBOARD', quantity: 2, unitPriceCents: 8_999 }];
      expect(refusal({ ...validOrder, lines }).errors).toEqual({
        '$.lines[1].sku': 'SKU-KEYBOARD appears more than once; put the whole quantity on one line',
      });
    });

    it('refuses blank address fields and a country that is not a code', () => {
      const { errors } = refusal({
        ...validOrder,
        shipTo: { ...validOrder.shipTo, street: '   ', country: 'Netherlands' },
      });
      expect(errors).toEqual({
        '$.shipTo.street': 'must not be empty',
        '$.shipTo.country': 'must be an ISO 3166 two-letter country code such as NL',
      });
    });

    it('refuses a currency that is not a code', () => {
      expect(refusal({ ...validOrder, currency: 'euro' }).errors['$.currency']).toMatch(/ISO 4217/);
    });

    it('refuses unknown fields, so that card numbers never reach the orchestration history', () => {
      const { errors } = refusal({
        ...validOrder,
        cardNumber: '4111111111111111',
        lines: [{ ...validOrder.lines[0], cvv: '123' }],
      });
      expect(Object.keys(errors).sort()).toEqual(['$.cardNumber', '$.lines[0].cvv']);
      expect(errors['$.cardNumber']).toMatch(/is not a field of an order/);
      expect(JSON.stringify(errors)).not.toContain('4111');
    });

    it('reports every problem at once', () => {
      const { errors } = refusal({
        currency: 'EUR',
        lines: [{ sku: 'SKU-KEYBOARD', quantity: 0, unitPriceCents: -1 }],
      });
      expect(Object.keys(errors).sort()).toEqual([
        '$.customerId',
        '$.lines[0].quantity',
        '$.lines[0].unitPriceCents',
        '$.shipTo',
      ]);
    });
  });

  describe('the instance id (idempotent start)', () => {
    it('takes it from the Idempotency-Key header', () => {
      expect(validate(validOrder, { idempotencyKey: 'order-2025-0001' })).toMatchObject({
        ok: true,
        instanceId: 'order-2025-0001',
      });
    });

    it('takes it from the instanceId field, which is not part of the order', () => {
      const result = validate({ ...validOrder, instanceId: 'order-2025-0002' });
      expect(result).toEqual({ ok: true, order: validOrder, instanceId: 'order-2025-0002' });
    });

    it('accepts both when they agree, refuses them when they differ', () => {
      expect(validate({ ...validOrder, instanceId: 'same' }, { idempotencyKey: 'same' })).toMatchObject({
        ok: true,
        instanceId: 'same',
      });
      expect(refusal({ ...validOrder, instanceId: 'one' }, { idempotencyKey: 'other' }).errors['$.instanceId']).toMatch(
        /differs/,
      );
    });

    it('ignores an empty header', () => {
      expect(validate(validOrder, { idempotencyKey: '  ' })).toMatchObject({ ok: true, instanceId: undefined });
    });

    it.each([['has spaces'], ['a/b'], ['dots.not.allowed'], ['-leading-dash'], ['x'.repeat(65)]])(
      'refuses the key %j',
      (key) => {
        expect(Object.keys(refusal(validOrder, { idempotencyKey: key }).errors)).toEqual(['header:Idempotency-Key']);
        expect(Object.keys(refusal({ ...validOrder, instanceId: key }).errors)).toEqual(['$.instanceId']);
      },
    );

    it('accepts a 64-character key', () => {
      expect(validate(validOrder, { idempotencyKey: 'k'.repeat(64) }).ok).toBe(true);
    });
  });
});

describe('the example request bodies', () => {
  it.each(orderExamples().map((example) => [example.file, example] as const))(
    '%s validates as documented',
    (_file, example) => {
      const result = validate(example.body);
      if (example.expected.httpStatus === 202) {
        expect(result.ok).toBe(true);
      } else {
        expect(result).toMatchObject({ ok: false, status: example.expected.httpStatus });
        const paths = result.ok ? [] : result.errors.map((error) => error.path);
        expect(paths).toEqual(example.expected.errorPaths);
      }
    },
  );

  it('include an order that succeeds and one rejected at each step', () => {
    const steps = orderExamples().map((example) => example.expected.saga?.step ?? example.expected.saga?.outcome);
    expect(steps).toEqual(expect.arrayContaining(['completed', 'A', 'B', 'C']));
    expect(orderExample('order-ok.json').expected.saga?.status).toBe(200);
  });
});

describe('sameOrder', () => {
  it('compares content, not key order', () => {
    const reordered = JSON.parse(
      '{"shipTo":{"country":"NL","postalCode":"1012 LG","city":"Amsterdam","street":"Damrak 1","name":"Alice Example"},' +
        '"lines":[{"unitPriceCents":8999,"quantity":1,"sku":"SKU-KEYBOARD"},{"unitPriceCents":2499,"quantity":2,"sku":"SKU-MOUSE"}],' +
        '"currency":"EUR","customerId":"cust-alice"}',
    ) as unknown;
    expect(sameOrder(validOrder, reordered)).toBe(true);
    expect(sameOrder(validOrder, { ...validOrder, currency: 'USD' })).toBe(false);
  });
});

describe('orderTotalCents', () => {
  it('sums quantity times unit price', () => {
    expect(orderTotalCents(validOrder)).toBe(8_999 + 2 * 2_499);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderFormExamples } from '../../../src/monitor/orderFormExamples';
import { validateOrderRequest } from '../../../src/saga/orderInput';

// The form's examples are copies (examples/ is not deployed); these tests keep them equal to the
// files the README and the e2e tests send, and keep their promises about valid and invalid.

const examplesDirectory = path.resolve(__dirname, '../../../examples');
const expected = (
  JSON.parse(readFileSync(path.join(examplesDirectory, 'expected-outcomes.json'), 'utf8')) as {
    orders: Record<string, { httpStatus: number }>;
  }
).orders;

describe("the start form's example orders", () => {
  for (const example of orderFormExamples) {
    it(`${example.label} is examples/orders/${example.file}`, () => {
      const file = JSON.parse(readFileSync(path.join(examplesDirectory, 'orders', example.file), 'utf8')) as unknown;
      expect(example.body).toEqual(file);
    });

    it(`${example.label} is ${expected[example.file]?.httpStatus === 202 ? 'accepted' : 'refused'} by the order validation`, () => {
      const validation = validateOrderRequest({ body: JSON.stringify(example.body) });
      expect(validation.ok).toBe(expected[example.file]?.httpStatus === 202);
    });
  }

  it('offers a valid order and failures at every step as well as invalid ones', () => {
    const files = orderFormExamples.map((example) => example.file);
    expect(files).toEqual(
      expect.arrayContaining([
        'order-ok.json',
        'order-rejected-at-a-no-stock.json',
        'order-rejected-at-b-insufficient-funds.json',
        'order-rejected-at-c-not-served.json',
        'invalid-card-number.json',
      ]),
    );
    expect(files[0]).toBe('order-ok.json');
  });
});

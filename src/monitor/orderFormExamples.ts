// The start form's examples: copies of examples/orders/*.json (which are not deployed with the
// app), each saying what it does against the demo data. A unit test compares every body with its
// file, so the two cannot drift apart.

export interface OrderFormExample {
  /** The file in examples/orders this body is a copy of. */
  readonly file: string;
  readonly label: string;
  readonly expect: string;
  readonly body: Readonly<Record<string, unknown>>;
}

const alice = { name: 'Alice Example', street: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' };

export const orderFormExamples: readonly OrderFormExample[] = [
  {
    file: 'order-ok.json',
    label: 'Valid order',
    expect: 'completes: stock reserved, payment charged, shipment booked',
    body: {
      customerId: 'cust-alice',
      currency: 'EUR',
      lines: [
        { sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 8999 },
        { sku: 'SKU-MOUSE', quantity: 2, unitPriceCents: 2499 },
      ],
      shipTo: alice,
    },
  },
  {
    file: 'order-rejected-at-a-no-stock.json',
    label: 'Fails at A: out of stock',
    expect: 'rejected at step A (insufficient-stock); nothing to compensate',
    body: {
      customerId: 'cust-alice',
      currency: 'EUR',
      lines: [
        { sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 8999 },
        { sku: 'SKU-LAMP', quantity: 1, unitPriceCents: 3999 },
      ],
      shipTo: alice,
    },
  },
  {
    file: 'order-rejected-at-b-insufficient-funds.json',
    label: 'Fails at B: insufficient funds',
    expect: 'rejected at step B (insufficient-funds); A is compensated',
    body: {
      customerId: 'cust-poor',
      currency: 'EUR',
      lines: [{ sku: 'SKU-MONITOR', quantity: 1, unitPriceCents: 29900 }],
      shipTo: { name: 'Pat Poor', street: 'Rue Neuve 10', city: 'Brussels', postalCode: '1000', country: 'BE' },
    },
  },
  {
    file: 'order-rejected-at-b-over-limit.json',
    label: 'Fails at B: over the limit',
    expect: 'rejected at step B (amount-over-limit); A is compensated',
    body: {
      customerId: 'cust-bob',
      currency: 'EUR',
      lines: [{ sku: 'SKU-MONITOR', quantity: 4, unitPriceCents: 29900 }],
      shipTo: { name: 'Bob Example', street: 'Unter den Linden 5', city: 'Berlin', postalCode: '10117', country: 'DE' },
    },
  },
  {
    file: 'order-rejected-at-c-not-served.json',
    label: 'Fails at C: destination not served',
    expect: 'rejected at step C (destination-not-served); A and B are compensated together',
    body: {
      customerId: 'cust-alice',
      currency: 'EUR',
      lines: [{ sku: 'SKU-MOUSE', quantity: 1, unitPriceCents: 2499 }],
      shipTo: {
        name: 'Alice Example',
        street: 'Research Station 1',
        city: 'McMurdo',
        postalCode: '0000',
        country: 'AQ',
      },
    },
  },
  {
    file: 'invalid-card-number.json',
    label: 'Invalid: carries a card number',
    expect: 'refused with 400 before any saga starts: card data never travels with the order',
    body: {
      customerId: 'cust-alice',
      currency: 'EUR',
      cardNumber: '4111111111111111',
      lines: [{ sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 8999 }],
      shipTo: alice,
    },
  },
  {
    file: 'invalid-missing-fields.json',
    label: 'Invalid: missing fields',
    expect: 'refused with 400: customerId, currency and shipTo are required',
    body: { lines: [{ sku: 'SKU-KEYBOARD', quantity: 1, unitPriceCents: 8999 }] },
  },
  {
    file: 'invalid-quantities-and-amounts.json',
    label: 'Invalid: quantities and amounts',
    expect: 'refused with 400, one message per wrong field',
    body: {
      customerId: 'cust-alice',
      currency: 'EUR',
      lines: [
        { sku: 'SKU-KEYBOARD', quantity: 0, unitPriceCents: 8999 },
        { sku: 'SKU-MOUSE', quantity: -2, unitPriceCents: -100 },
        { sku: 'SKU-MONITOR', quantity: 'one', unitPriceCents: 1.5 },
      ],
      shipTo: alice,
    },
  },
];

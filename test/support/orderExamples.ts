import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

// The request bodies in examples/orders and what each one produces against the seed data
// (examples/expected-outcomes.json). The README's curl walk-through sends the same files, so a
// change of behaviour shows up here before it shows up as a wrong README.

export const examplesDirectory = path.resolve(__dirname, '../../examples');
export const orderExamplesDirectory = path.join(examplesDirectory, 'orders');

const sagaExpectationSchema = z.object({
  status: z.union([z.literal(200), z.literal(400), z.literal(500)]),
  outcome: z.enum(['completed', 'rejected', 'failed']),
  step: z.enum(['A', 'B', 'C']).optional(),
  reason: z.string().optional(),
  compensated: z.array(z.enum(['A', 'B', 'C'])).optional(),
});

const expectationSchema = z.object({
  httpStatus: z.number().int(),
  saga: sagaExpectationSchema.optional(),
  errorPaths: z.array(z.string()).optional(),
});

const expectedOutcomesSchema = z.object({ orders: z.record(z.string(), expectationSchema) });

export type OrderExampleExpectation = z.infer<typeof expectationSchema>;

export interface OrderExample {
  readonly file: string;
  /** The raw body, exactly as curl sends it (some examples are deliberately not JSON). */
  readonly body: string;
  readonly expected: OrderExampleExpectation;
}

export function orderExamples(): OrderExample[] {
  const expected = expectedOutcomesSchema.parse(
    JSON.parse(readFileSync(path.join(examplesDirectory, 'expected-outcomes.json'), 'utf8')),
  ).orders;
  const files = readdirSync(orderExamplesDirectory)
    .filter((file) => file.endsWith('.json'))
    .sort();
  return files.map((file) => {
    const expectation = expected[file];
    if (expectation === undefined) throw new Error(`examples/expected-outcomes.json does not describe ${file}`);
    return { file, body: readFileSync(path.join(orderExamplesDirectory, file), 'utf8'), expected: expectation };
  });
}

export function orderExample(file: string): OrderExample {
  const example = orderExamples().find((candidate) => candidate.file === file);
  if (example === undefined) throw new Error(`no example ${file}`);
  return example;
}

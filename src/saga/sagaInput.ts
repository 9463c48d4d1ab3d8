import { z } from 'zod';
import { orderSchema } from './orderInput';
import { defaultSagaPolicy, sagaPolicySchema } from './sagaSettings';

/**
 * The orchestration input. The policy is optional so that a saga started through the durable HTTP
 * API without one still runs, with the built-in defaults rather than today's settings.
 */
export const sagaInputSchema = z.strictObject({
  order: orderSchema,
  policy: sagaPolicySchema.default(defaultSagaPolicy),
});

export type SagaInput = z.infer<typeof sagaInputSchema>;

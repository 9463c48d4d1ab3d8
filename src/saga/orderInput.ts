import { z } from 'zod';

// The order as the saga sees it, and the pure validation the HTTP starter calls. Objects are strict
// on purpose: an unknown field such as "cardNumber" is refused instead of being silently dropped
// into the orchestration history, which is stored in plain text.

/** Bodies above this size are refused with 413 before they are parsed. */
export const maxOrderBodyBytes = 64 * 1024;

/**
 * Instance ids name Durable Functions instances and appear in URLs, Azure Table keys and Cosmos
 * document ids, so only characters that are safe in all of them are allowed.
 */
export const instanceIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const instanceIdRule = 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit';

export const instanceIdSchema = z
  .string({ error: requiredOr('a string') })
  .regex(instanceIdPattern, { error: instanceIdRule });

export interface FieldError {
  /** "$" is the whole body, "$.lines[0].quantity" a field in it, "header:Idempotency-Key" a header. */
  readonly path: string;
  readonly message: string;
}

function requiredOr(expected: string) {
  return (issue: { input?: unknown; code?: string }): string | undefined => {
    if (issue.input === undefined) return 'is required';
    if (issue.code === 'invalid_type') return `must be ${expected}`;
    return undefined;
  };
}

const text = (max: number) =>
  z
    .string({ error: requiredOr('a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const orderLineSchema = z.strictObject(
  {
    sku: z
      .string({ error: requiredOr('a string') })
      .regex(/^[A-Z0-9][A-Z0-9-]{0,39}$/, { error: 'must be an upper-case SKU code such as SKU-KEYBOARD' }),
    quantity: z
      .number({ error: requiredOr('a number') })
      .int({ error: 'must be a whole number' })
      .positive({ error: 'must be greater than 0' })
      .max(1_000, { error: 'must be at most 1000' }),
    unitPriceCents: z
      .number({ error: requiredOr('a number') })
      .int({ error: 'must be a whole number of cents' })
      .positive({ error: 'must be greater than 0' })
      .max(10_000_000, { error: 'must be at most 10000000 cents' }),
  },
  { error: requiredOr('an order line object') },
);

const addressSchema = z.strictObject(
  {
    name: text(100),
    street: text(200),
    city: text(100),
    postalCode: text(20),
    country: z
      .string({ error: requiredOr('a string') })
      .regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166 two-letter country code such as NL' }),
  },
  { error: requiredOr('an address object') },
);

const orderShape = {
  customerId: z
    .string({ error: requiredOr('a string') })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { error: 'must be a customer account id such as cust-alice' }),
  currency: z
    .string({ error: requiredOr('a string') })
    .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 currency code such as EUR' }),
  lines: z
    .array(orderLineSchema, { error: requiredOr('a list of order lines') })
    .min(1, { error: 'must contain at least one line' })
    .max(50, { error: 'must contain at most 50 lines' }),
  shipTo: addressSchema,
};

// One line per SKU keeps a reservation a single hold per stock item.
function noDuplicateSkus(order: { lines: readonly { sku: string }[] }, ctx: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  order.lines.forEach((line, index) => {
    if (seen.has(line.sku)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lines', index, 'sku'],
        message: `${line.sku} appears more than once; put the whole quantity on one line`,
      });
    }
    seen.add(line.sku);
  });
}

export const orderSchema = z
  .strictObject(orderShape, { error: requiredOr('a JSON object describing the order') })
  .superRefine(noDuplicateSkus);

export type Order = z.infer<typeof orderSchema>;
export type OrderLine = Order['lines'][number];

/** The request body: the order, optionally naming its instance for idempotent starts. */
const orderRequestSchema = z
  .strictObject(
    { ...orderShape, instanceId: instanceIdSchema.optional() },
    { error: requiredOr('a JSON object describing the order') },
  )
  .superRefine(noDuplicateSkus);

export interface OrderRequest {
  readonly body: string;
  /** The Content-Length header when present: lets oversize bodies be refused before reading. */
  readonly contentLength?: string | null;
  readonly idempotencyKey?: string | null;
}

export type OrderRequestValidation =
  | { readonly ok: true; readonly order: Order; readonly instanceId: string | undefined }
  | { readonly ok: false; readonly status: 400 | 413; readonly errors: readonly FieldError[] };

export function validateOrderRequest(request: OrderRequest): OrderRequestValidation {
  const declared = request.contentLength == null ? NaN : Number(request.contentLength);
  const actual = Buffer.byteLength(request.body, 'utf8');
  const size = Number.isFinite(declared) ? Math.max(declared, actual) : actual;
  if (size > maxOrderBodyBytes) {
    return refuse(413, [{ path: '$', message: `body is ${size} bytes; the limit is ${maxOrderBodyBytes} bytes` }]);
  }
  if (request.body.trim() === '') {
    return refuse(400, [{ path: '$', message: 'body is empty; send the order as JSON' }]);
  }

  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return refuse(400, [{ path: '$', message: `body is not valid JSON: ${detail}` }]);
  }

  const errors: FieldError[] = [];
  const key = request.idempotencyKey?.trim();
  if (key !== undefined && key !== '' && !instanceIdPattern.test(key)) {
    errors.push({ path: 'header:Idempotency-Key', message: instanceIdRule });
  }

  const parsed = orderRequestSchema.safeParse(json);
  if (!parsed.success) errors.push(...toFieldErrors(parsed.error.issues));
  if (!parsed.success || errors.length > 0) return refuse(400, errors);

  const { instanceId: bodyId, ...order } = parsed.data;
  const headerId = key === undefined || key === '' ? undefined : key;
  if (headerId !== undefined && bodyId !== undefined && headerId !== bodyId) {
    return refuse(400, [
      {
        path: '$.instanceId',
        message: `differs from the Idempotency-Key header "${headerId}"; send one or make them equal`,
      },
    ]);
  }
  return { ok: true, order, instanceId: headerId ?? bodyId };
}

/** Whether two orders are the same request, whatever the key order of their JSON. */
export function sameOrder(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function orderTotalCents(order: Order): number {
  return order.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
}

function refuse(status: 400 | 413, errors: readonly FieldError[]): OrderRequestValidation {
  return { ok: false, status, errors };
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: jsonPath([...issue.path, key]),
        message: 'is not a field of an order (payment details never travel with the order: send customerId)',
      }));
    }
    return [{ path: jsonPath(issue.path), message: issue.message }];
  });
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    '$',
  );
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const entries = Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

import { setTimeout as sleep } from 'node:timers/promises';
import { Container, ItemDefinition } from '@azure/cosmos';
import { statusCodeOf, storeFailure, TransientStoreError } from './storeErrors';

// Read – decide – write with the document's ETag, again from the read on a conflict. Each saga
// step changes a single document per write (the local Cosmos server has no atomic batch and no
// stored procedures), so this loop is what keeps concurrent sagas from overselling or overdrawing.

export type Decision<TDocument, TResult> =
  /** Nothing to write (already done, or refused): answer at once. */
  | { readonly kind: 'keep'; readonly result: TResult }
  | { readonly kind: 'write'; readonly document: TDocument; readonly result: TResult };

export interface DocumentAddress {
  readonly id: string;
  readonly partitionKey: string;
}

export interface OptimisticUpdateOptions {
  /** Names the operation in errors and logs, e.g. "reserve SKU-KEYBOARD". */
  readonly operation: string;
  /** Conflicts allowed before giving up with a transient error (the activity retry takes over). */
  readonly maxAttempts?: number;
  /**
   * The document usually does not exist yet (a booking, a receipt): decide as if it were absent
   * and create it without reading first. A 409 (it exists: a retry, a fence) falls back to
   * read-decide-write, so the answer is the same, in one round trip instead of two.
   */
  readonly expectAbsent?: boolean;
}

const defaultMaxAttempts = 64;

export async function updateOptimistically<TDocument extends ItemDefinition, TResult>(
  container: Container,
  address: DocumentAddress,
  decide: (current: TDocument | undefined) => Decision<TDocument, TResult>,
  options: OptimisticUpdateOptions,
): Promise<TResult> {
  const maxAttempts = options.maxAttempts ?? defaultMaxAttempts;
  const item = container.item(address.id, address.partitionKey);
  for (let attempt = 1; ; attempt++) {
    const current =
      attempt === 1 && options.expectAbsent === true
        ? undefined
        : await readDocument<TDocument>(container, address, options.operation);
    const decision = decide(current?.document);
    if (decision.kind === 'keep') return decision.result;
    try {
      if (current === undefined) {
        // Create fails with 409 when a concurrent writer created it first: decide again.
        await container.items.create(decision.document);
      } else {
        await item.replace(decision.document, { accessCondition: { type: 'IfMatch', condition: current.etag } });
      }
      return decision.result;
    } catch (error) {
      const status = statusCodeOf(error);
      if (status !== 412 && status !== 409) throw storeFailure(options.operation, error);
      if (attempt >= maxAttempts) {
        throw new TransientStoreError(
          options.operation,
          status,
          `still conflicting with concurrent updates after ${attempt} attempts`,
        );
      }
      await sleep(conflictBackoffMs(attempt));
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the document type, as Cosmos's read<T>() does
export async function readDocument<TDocument extends ItemDefinition>(
  container: Container,
  address: DocumentAddress,
  operation: string,
): Promise<{ document: TDocument; etag: string } | undefined> {
  try {
    const response = await container.item(address.id, address.partitionKey).read<TDocument>();
    if (response.statusCode === 404 || response.resource === undefined) return undefined;
    return { document: response.resource, etag: response.etag };
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw storeFailure(operation, error);
  }
}

/** Jittered and growing, so that writers that collided do not collide again in lockstep. */
function conflictBackoffMs(attempt: number): number {
  const ceiling = Math.min(5 * 2 ** Math.min(attempt, 6), 250);
  return Math.floor(Math.random() * ceiling) + 1;
}
